"""The demo footage library: what is on disk, and that its two qualities agree."""

from __future__ import annotations

import shutil

import av
import numpy as np

from viewer.demo.footage import DEMO_CAMERAS, FootageLibrary


def test_progress_counts_the_streams_already_encoded(demo_site, tmp_path):
    cached = demo_site.site.library
    library = FootageLibrary(tmp_path)
    cameras = [camera.id for camera in DEMO_CAMERAS[:2]]
    assert library.progress(cameras) == (0, 4)
    shutil.copy(cached.path("cam01", "sub"), library.path("cam01", "sub"))
    assert library.progress(cameras) == (1, 4)
    assert cached.progress([camera.id for camera in DEMO_CAMERAS]) == (32, 32)


def pictures(path, count=25) -> list[np.ndarray]:
    """The first frames of a footage file, at sub-stream size, as int16 RGB."""
    result = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            result.append(frame.reformat(640, 360, "rgb24").to_ndarray().astype(np.int16))
            if len(result) == count:
                return result
    return result


def test_main_and_sub_streams_encoded_apart_show_the_same_pictures(demo_site):
    library = demo_site.site.library
    main = pictures(library.path("cam05", "main"))
    sub = pictures(library.path("cam05", "sub"), count=26)

    def worst(a, b) -> int:
        return int(np.abs(a - b).max())

    # Two lossy encodings of one picture differ by little; one frame apart, the moving
    # cars and the frame-number marker differ by far more.
    assert max(worst(m, s) for m, s in zip(main, sub[:25], strict=True)) < 128
    assert min(worst(m, s) for m, s in zip(main, sub[1:], strict=True)) > 128
