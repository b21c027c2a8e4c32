"""The demo's XProtect site is alive by default: motion moves from camera to camera, and
every camera stays online unless a test takes one away."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from tests.integration.backends.milestone.xprotect import SITE, run
from viewer.backends.milestone.backend import MilestoneBackend
from viewer.core.certificates import PinnedCertificate
from viewer.core.models import CameraStatus, Event
from viewer.demo.site import MOTION_EVERY
from viewer.services.directory import Directory, SiteSession


def test_the_demo_site_rotates_motion_through_its_cameras_which_stay_online(demo_site):
    milestone = demo_site.site.milestone
    backend = MilestoneBackend(
        SITE,
        milestone.url,
        milestone.user,
        milestone.password,
        certificate=PinnedCertificate.from_pem(milestone.certificate.pem.decode("ascii")),
    )

    async def scenario() -> None:
        directory = Directory()
        await directory.add(SiteSession(backend))
        try:
            got: list[Event] = []
            # The rotation's next turn; the limit only stops a broken test.
            async with aclosing(backend.events()) as events, asyncio.timeout(3 * MOTION_EVERY):
                async for event in events:
                    got.append(event)
                    break
            # A turn starts motion on one camera, then stops it on the one before.
            (first,) = got
            assert first.type == "motion started"
            assert first.camera is not None and first.camera.site_id == SITE.id
            session = directory.session(SITE.id)
            assert session is not None
            assert {camera.status for camera in session.tree.all_cameras()} == {CameraStatus.ONLINE}
        finally:
            await directory.close()

    run(scenario)
