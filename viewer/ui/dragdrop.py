"""The drag payload that carries a camera from the tree, or from another tile."""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData

from viewer.core.models import CameraRef

MIME_TYPE = "application/x-vigil-camera"


def camera_mime(ref: CameraRef, from_tile: int | None = None) -> QMimeData:
    mime = QMimeData()
    payload = {"site": ref.site_id, "camera": ref.camera_id, "from_tile": from_tile}
    mime.setData(MIME_TYPE, json.dumps(payload).encode())
    mime.setText(str(ref))
    return mime


def camera_from_mime(mime: QMimeData) -> tuple[CameraRef, int | None] | None:
    """The camera in a drag, and the tile it came from; None for anything else."""
    if not mime.hasFormat(MIME_TYPE):
        return None
    try:
        payload = json.loads(bytes(mime.data(MIME_TYPE).data()).decode())
        ref = CameraRef(str(payload["site"]), str(payload["camera"]))
    except (ValueError, KeyError, TypeError):
        return None
    from_tile = payload.get("from_tile")
    return ref, from_tile if isinstance(from_tile, int) else None
