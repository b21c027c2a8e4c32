"""Asking a site's server how it is, for as long as the site is open.

A control room learns of a recording disk filling up or a recorder that stopped from the
camera tree, before cameras go dark: the site's node carries the server's own account
(``Backend.health``). It is asked at once when the site opens and every ``every``
seconds after. A health check that fails is itself the news (the server is down, or
unreachable), never an error that ends the session; a site whose backend reports no
health is asked once and left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from viewer.backends.base import Backend
from viewer.core.errors import NotSupportedError, VigilError
from viewer.core.models import HealthState, SiteHealth

log = logging.getLogger(__name__)

EVERY = 30.0
"""Seconds between two checks: often enough to warn before cameras drop, rare enough
that a thousand operators' clients do not load a recorder (MiBee limits its health
endpoint to 60 requests a minute per address)."""

Report = Callable[[SiteHealth], None]


class HealthWatch:
    """Polls one backend's health and reports every change of it (not every answer).

    Each round is a task of its own, the next one set on the loop's clock when it ends,
    rather than one task sleeping in between: under qasync a callback may run while the
    loop does not count as running (qasync's ``run_until_complete`` processes Qt events
    once more after it stops), where ``asyncio.sleep`` raises; a round caught there
    fails as any failed check does, and the watch goes on.
    """

    def __init__(self, backend: Backend, report: Report, *, every: float = EVERY) -> None:
        self._backend = backend
        self._report = report
        self._every = every
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next: asyncio.TimerHandle | None = None
        self._round: asyncio.Task[None] | None = None
        self.health: SiteHealth | None = None
        """The latest account; None until the first, and for a site that gives none."""

    def start(self) -> None:
        """The first check now, then one every ``every`` seconds until ``stop()``."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._begin()

    async def stop(self) -> None:
        self._loop = None
        if self._next is not None:
            self._next.cancel()
            self._next = None
        task, self._round = self._round, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def check(self) -> SiteHealth | None:
        """One check now: the server's account, or down with the reason it could not be
        asked; None for a site that reports no health."""
        try:
            return await self._backend.health()
        except NotSupportedError:
            return None
        except VigilError as error:
            return SiteHealth(HealthState.DOWN, str(error))
        except Exception as error:  # a backend's bug must not end the watch or the session
            log.warning(
                "health check of %s failed: %s", self._backend.site.name, type(error).__name__
            )
            return SiteHealth(HealthState.DOWN, "the health check failed")

    def _begin(self) -> None:
        if self._loop is not None:
            name = f"health of {self._backend.site.name}"
            self._round = self._loop.create_task(self._check_and_tell(), name=name)

    async def _check_and_tell(self) -> None:
        found = await self.check()
        if found is None or self._loop is None:
            return
        if found != self.health:
            if found.state is not HealthState.OK:
                words = "; ".join(w for w in (found.summary, *found.details) if w)
                log.warning("site %s is %s: %s", self._backend.site.name, found.state, words)
            self.health = found
            self._report(found)
        self._next = self._loop.call_later(self._every, self._begin)
