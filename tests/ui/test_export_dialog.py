"""The Export dialog: the tiles' cameras come ticked, the progress bar moves while an
NVR's recording is exported, and Cancel stops it with nothing left in the folder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from tests.integration.backends.mibee.nvr import PASSWORD, USER, serving
from tests.ui.conftest import until
from viewer.backends.mibee.backend import MibeeBackend
from viewer.core.models import CameraRef, Site, TimeSpan
from viewer.demo.hls.service import HlsService
from viewer.services.directory import Directory, SiteSession
from viewer.ui.export_dialog import ExportDialog

SITE = Site("nvr", "Warehouse NVR", "mibee")


def test_progress_then_cancel_leaves_the_folder_empty(qloop, qtbot, demo_site, tmp_path):
    hls = HlsService(demo_site.site.library)
    seen: list[int] = []

    async def scenario():
        async with serving(hls=hls) as server:
            directory = Directory()
            session = SiteSession(MibeeBackend(SITE, server.url, USER, PASSWORD))
            await directory.add(session)
            try:
                assert await until(lambda: directory.is_ready("nvr"))
                dialog = ExportDialog(directory, [CameraRef("nvr", "cam02")])
                qtbot.addWidget(dialog)
                assert dialog.site.currentText() == "Warehouse NVR"
                assert [c.ref.camera_id for c in dialog.chosen()] == ["cam02"]
                now = datetime.now(UTC)
                timeline = await session.backend.timeline(
                    "cam02", TimeSpan(now - timedelta(hours=6), now)
                )
                start = timeline.segments[0].span.start + timedelta(minutes=2)
                dialog.set_span(TimeSpan(start, start + timedelta(minutes=20)))
                dialog.folder.setText(str(tmp_path / "case-17"))
                qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
                assert not dialog.export_button.isEnabled()

                def moving() -> bool:
                    seen.append(dialog.progress.value())
                    return dialog.progress.value() > 0

                assert await until(moving, within=60)
                qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
                assert await until(lambda: dialog.task is None, within=60)
                assert dialog.words.text().startswith("Cancelled")
                assert dialog.export_button.isEnabled()
            finally:
                await directory.close()

    qloop.run_until_complete(scenario())
    assert max(seen) > 0
    assert list((tmp_path / "case-17").iterdir()) == []
