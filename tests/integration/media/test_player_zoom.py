"""Two tiles on one stream, one of them digitally zoomed into the demo's corner patch:
the zoomed one gets the patch converted at its own size, the other the whole picture."""

from __future__ import annotations

import numpy as np

from viewer.core.streams import StreamDescription
from viewer.demo.footage import DEMO_CAMERAS
from viewer.media.player import StreamPlayer

from .test_player_rtsp import url
from .test_player_sources import Collector, wait_for

CORNER = (0.875, 0.875, 0.125, 0.125)


def rgb(image) -> np.ndarray:
    data = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride)
    return data[:, : image.width * 4].reshape(image.height, image.width, 4)[..., 2::-1]


def test_a_zoomed_viewer_gets_its_part_at_its_size_and_the_other_the_whole(demo_site):
    player = StreamPlayer(StreamDescription(url(demo_site, "cam03")))
    whole = Collector(player, (320, 180))
    zoomed = Collector(player, (320, 180))
    zoomed.subscription.set_crop(CORNER)
    player.start()
    try:

        def both() -> bool:
            whole.pump()
            zoomed.pump()
            return len(whole.images) >= 3 and len(zoomed.images) >= 3

        assert wait_for(both)
    finally:
        whole.subscription.close()
        zoomed.subscription.close()
        player.stop()
        assert player.join(5)
    part, picture = zoomed.images[-1], whole.images[-1]
    assert (part.width, part.height, part.crop) == (320, 180, CORNER)
    assert (picture.width, picture.height, picture.crop) == (320, 180, None)
    colour = np.array(DEMO_CAMERAS[2].colour)
    # The patch fills the zoomed tile; in the whole picture it is an eighth of each side.
    assert np.abs(rgb(part)[4:-4, 4:-4].astype(int) - colour).max(axis=2).mean() < 12
    assert np.abs(rgb(picture)[:90, :160].astype(int) - colour).max(axis=2).mean() > 40
