"""A large site's tree: groups at once, cameras in batches that leave the loop free."""

from __future__ import annotations

from viewer.demo.milestone.gateway import MilestoneSimulator
from viewer.ui.camera_tree import BATCH

from .conftest import until
from .test_operator_workflow import visible_cameras


def test_a_large_sites_cameras_arrive_in_batches_and_all_of_them_arrive(qloop, make_window):
    server = MilestoneSimulator(
        user="operator", password="Birch-Canal-Omen-9150", extra_cameras=1000
    )
    qloop.run_until_complete(server.start())
    try:
        window = make_window()

        async def add():
            await window.console.sites.add_unsaved(
                "big",
                "milestone",
                "Big site",
                server.url,
                user=server.user,
                password=server.password,
                fingerprint=server.certificate.fingerprint,
            )
            # Right after the site's tree arrived, one batch is in and the rest waits
            # for the next turns of the loop.
            return window.tree.complete, len(visible_cameras(window.tree))

        complete, shown = qloop.run_until_complete(add())
        assert not complete and shown <= BATCH + 40
        assert qloop.run_until_complete(until(lambda: window.tree.complete))
        names = visible_cameras(window.tree)
        assert {f"Camera {n:05d}" for n in range(1, 1001)} <= set(names)
        assert len(names) == len(set(names)) + 1  # only Main entrance, in two groups, repeats
    finally:
        qloop.run_until_complete(server.stop())
