"""Cameras added by URL: what the RTSP backend hands the player for each one."""

import asyncio

from viewer.backends.rtsp import RtspBackend, RtspCamera
from viewer.core.certificates import PinnedCertificate
from viewer.core.models import Quality, Site
from viewer.demo.certificate import self_signed

SITE = Site(id="cameras", name="Cameras", kind="rtsp")


def live(backend: RtspBackend, camera_id: str, quality: Quality):
    return asyncio.run(backend.live(camera_id, quality))


def test_every_stream_of_a_pinned_camera_trusts_its_certificate_and_no_other_camera_does():
    pinned = PinnedCertificate.from_pem(self_signed().pem.decode())
    cameras = [
        RtspCamera(
            "gate",
            "Gate",
            "rtsps://192.0.2.7/main",
            "rtsps://192.0.2.7/sub",
            user="op",
            certificate=pinned,
        ),
        RtspCamera("yard", "Yard", "rtsps://192.0.2.8/main"),
    ]
    backend = RtspBackend(SITE, cameras, passwords=lambda _camera: "s3cret")
    main, sub = live(backend, "gate", Quality.MAIN), live(backend, "gate", Quality.SUB)
    assert (main.pinned, sub.pinned) == (pinned, pinned)
    assert main.url == "rtsps://op:s3cret@192.0.2.7/main"
    assert sub.quality is Quality.SUB
    assert live(backend, "yard", Quality.MAIN).pinned is None
