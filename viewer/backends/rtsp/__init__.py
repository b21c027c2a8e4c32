from viewer.backends.rtsp.backend import RtspBackend, RtspCamera
from viewer.backends.rtsp.urls import split_credentials, with_credentials

__all__ = ["RtspBackend", "RtspCamera", "split_credentials", "with_credentials"]
