"""Bookmarks: an instant or span of a camera's recording, marked with a title and a note.

Where the VMS keeps bookmarks (XProtect from 2024 R2) they are the VMS's own, so the
operator's colleagues in the vendor's client see them too. Elsewhere (a REST gateway,
a MiBee NVR, an XProtect too old) they are kept in the settings file, with the
operator's view, and only this Vigil sees them; the dialog says which.

The timeline asks :func:`local_bookmarks` (or ``Bookmarks.local``) for a camera and a
span and draws them beside what the site returned with its timeline.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future

from viewer.core.errors import NotFoundError, NotSupportedError
from viewer.core.models import Bookmark, CameraRef, TimeSpan
from viewer.services.directory import Directory
from viewer.services.settings import Settings, SettingsStore

log = logging.getLogger(__name__)

LOCAL_PREFIX = "local-"
"""Ids of bookmarks kept by Vigil; a site's own never start so (they are the site's GUIDs
or numbers)."""


def is_local(bookmark: Bookmark) -> bool:
    return bookmark.id.startswith(LOCAL_PREFIX)


def local_bookmarks(
    marks: Iterable[Bookmark], camera: CameraRef, span: TimeSpan
) -> tuple[Bookmark, ...]:
    """The camera's kept bookmarks that overlap ``span``, oldest first."""
    return tuple(
        sorted(
            (
                mark
                for mark in marks
                if mark.camera == camera
                and mark.span.start <= span.end
                and mark.span.end >= span.start
            ),
            key=lambda mark: (mark.span.start, mark.span.end),
        )
    )


class Bookmarks:
    def __init__(self, settings: Settings, store: SettingsStore, directory: Directory) -> None:
        self._settings = settings
        self._store = store
        self._directory = directory
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        """``listener()`` after a bookmark was made, changed or removed."""
        self._listeners.append(listener)

    def local(self, camera: CameraRef, span: TimeSpan) -> tuple[Bookmark, ...]:
        return local_bookmarks(self._settings.bookmarks, camera, span)

    def kept_by_site(self, camera: CameraRef) -> bool:
        """Whether a bookmark of this camera goes to its site (else it is kept here)."""
        session = self._directory.session(camera.site_id)
        return session is not None and session.backend.capabilities.bookmarks

    async def create(
        self, camera: CameraRef, span: TimeSpan, header: str, description: str = ""
    ) -> Bookmark:
        """The site's bookmark where it keeps them; otherwise one kept in the settings.
        A site that refuses for any other reason (rights, unreachable) raises, so the
        operator is not told it was kept when it was not where they expect it."""
        session = self._directory.session(camera.site_id)
        if session is not None and session.backend.capabilities.bookmarks:
            try:
                made = await session.backend.create_bookmark(
                    camera.camera_id, span, header, description
                )
            except NotSupportedError:
                log.info("%s keeps no bookmarks after all: kept locally", camera.site_id)
            else:
                self._tell()
                return made
        mark = Bookmark(f"{LOCAL_PREFIX}{uuid.uuid4()}", camera, span, header, description)
        self._settings.bookmarks.append(mark)
        await self._save()
        return mark

    async def bookmarks(self, camera: CameraRef, span: TimeSpan) -> tuple[Bookmark, ...]:
        """The site's bookmarks of the camera and those kept here, oldest first."""
        kept = self.local(camera, span)
        session = self._directory.session(camera.site_id)
        if session is None or not session.backend.capabilities.bookmarks:
            return kept
        try:
            sites = await session.backend.bookmarks(camera.camera_id, span)
        except NotSupportedError:
            return kept
        return tuple(sorted((*sites, *kept), key=lambda m: (m.span.start, m.span.end)))

    async def delete(self, bookmark: Bookmark) -> None:
        if is_local(bookmark):
            before = len(self._settings.bookmarks)
            self._settings.bookmarks[:] = [
                m for m in self._settings.bookmarks if m.id != bookmark.id
            ]
            if len(self._settings.bookmarks) == before:
                raise NotFoundError(f"no bookmark {bookmark.header!r} is kept here")
            await self._save()
            return
        session = self._directory.session(bookmark.camera.site_id)
        if session is None:
            raise NotFoundError(f"site {bookmark.camera.site_id!r} is not connected")
        await session.backend.delete_bookmark(bookmark.id)
        self._tell()

    async def _save(self) -> None:
        written: Future[None] = self._store.save_soon(self._settings)
        self._tell()
        # The operator is told "kept" only once it is on disk (an OSError otherwise).
        await asyncio.wrap_future(written)

    def _tell(self) -> None:
        for listener in self._listeners:
            listener()
