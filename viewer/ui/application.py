"""The Qt application and the asyncio loop it drives (qasync).

All control-plane I/O runs as coroutines on the Qt main thread through qasync, so a
slow server never freezes the window and widgets never need locks.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication

from viewer.ui.theme import apply_theme


def run(session: Callable[[QApplication], Coroutine[Any, Any, int]]) -> int:
    """Run ``session(app)`` on a qasync loop until it returns; its result is the exit code."""
    app = QApplication.instance() or QApplication(["vigil"])
    assert isinstance(app, QApplication)
    app.setApplicationName("Vigil")
    app.setOrganizationName("Vigil")
    # Closing the last window ends the session (until_quit), whose clean-up still needs
    # the loop; Qt quitting by itself would stop the loop under it.
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        exit_code: int = loop.run_until_complete(session(app))
        return exit_code


def freeze_startup() -> None:
    """Exempt what start-up created from garbage collection.

    Modules, classes and the window's widgets live as long as the process, yet a full
    collection walks every one of them; one that fell in the middle of loading a large
    site held the event loop for up to 350 ms (benchmarks/site_load.py). Frozen, they are
    not walked again, and there was never garbage among them to find.
    """
    gc.collect()
    gc.freeze()


async def until_quit(app: QApplication) -> None:
    """Wait until the last window closes or the application is told to quit."""
    quitting = asyncio.Event()
    app.aboutToQuit.connect(quitting.set)
    app.lastWindowClosed.connect(quitting.set)
    await quitting.wait()
