"""UI tests run a real qasync loop on pytest-qt's QApplication, offscreen."""

from __future__ import annotations

import asyncio

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
