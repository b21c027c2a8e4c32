"""The Qt + asyncio loop survives a shift's worth of turns (docs/pitfalls.md).

PySide6 6.12.0 with qasync 0.28 aborts the process with "none_dealloc" after a few
thousand iterations; a viewer that dies after minutes of video is the worst bug we
could ship. This test fails (by crashing) if such a pin ever comes back.
"""

from __future__ import annotations

import asyncio
import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from viewer.ui import application
from viewer.ui.application import until_quit


class Ticker(QObject):
    ticked = Signal(int)


def test_the_loop_turns_twenty_thousand_times_with_signals_and_timers(qloop):
    ticker = Ticker()
    received: list[int] = []
    ticker.ticked.connect(received.append)
    fired: list[int] = []
    timer = QTimer(interval=1)
    timer.timeout.connect(lambda: fired.append(1))
    timer.start()

    async def spin() -> int:
        turns = 0
        for turns in range(1, 20_001):
            await asyncio.sleep(0)
            if turns % 10 == 0:
                ticker.ticked.emit(turns)
        return turns

    assert qloop.run_until_complete(spin()) == 20_000
    timer.stop()
    assert received[-1] == 20_000
    assert len(received) == 2_000
    assert fired, "Qt timers must keep firing while coroutines run"


def test_closing_the_last_window_ends_the_session_after_its_clean_up(qapp):
    """The session still needs the loop once the window is gone: it stops the players
    and the demo servers. Qt must not stop the loop under it when the window closes."""
    cleaned_up: list[bool] = []

    async def session(app) -> int:
        window = QWidget()
        window.show()
        QTimer.singleShot(50, window.close)
        await until_quit(app)
        await asyncio.sleep(0.05)
        await asyncio.to_thread(time.sleep, 0.05)
        cleaned_up.append(True)
        return 0

    assert application.run(session) == 0
    assert cleaned_up
