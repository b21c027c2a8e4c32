"""UI tests run a real qasync loop on pytest-qt's QApplication, offscreen."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest
import qasync


@pytest.fixture
def qloop(qapp):
    """The asyncio loop the application uses, driven by Qt (docs/pitfalls.md: under qasync,
    drive coroutines with run_until_complete and poll with asyncio.sleep)."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.run_until_complete(asyncio.sleep(0))
    asyncio.set_event_loop(None)
    loop.close()
    # The loop's timer object is a QObject that may still hold Qt timers (a cancelled
    # asyncio timer keeps its Qt timer until it would have fired). Collected by chance
    # in another thread, it is destroyed there, which Qt warns about and which can
    # crash: collect it here, on the GUI thread.
    del loop
    gc.collect()


async def until(predicate, within=30.0, step=0.02) -> bool:
    """Poll on the running loop (qtbot.waitUntil does not work inside coroutines)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return False


@pytest.fixture
def make_window(qloop, tmp_path, memory_keyring):
    """Build a Console and MainWindow over a settings file, as `vigil` does at start."""
    from viewer.services.console import Console
    from viewer.services.settings import Layout
    from viewer.ui.main_window import MainWindow

    windows = []

    def make(*backends, layout=None, settings_path=None, size=(1000, 700), prepare=None):
        """``size=None`` keeps the geometry the settings restored; ``prepare(console)``
        adds sites before the console starts, as `vigil --demo` does."""
        console = Console(settings_path or tmp_path / "settings.json")

        async def start():
            for backend in backends:
                await console.add_site(backend)
            if prepare is not None:
                await prepare(console)
            await console.start()

        qloop.run_until_complete(start())
        window = MainWindow(console)
        window.restore_session(layout or Layout())
        if size is not None:
            window.resize(*size)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()

        async def stop(window=window):
            await window.closed()
            await window.console.stop()

        qloop.run_until_complete(stop())


@pytest.fixture
def demo_window(make_window, demo_site):
    from viewer.app import add_demo_sites, demo_layout

    description = demo_site.site.describe()
    return make_window(
        layout=demo_layout(), prepare=lambda console: add_demo_sites(console, description)
    )
