"""HLS for the simulated MiBee server and REST gateway: live windows and recorded spans.

The seam (service.py has the details)::

    hls = HlsService(library, warm_up=1.0)        # one per simulator
    await hls.live("cam01", "sub", "index.m3u8", request.query)
    await hls.recorded("cam01", "playlist.m3u8", {"start": ..., "end": ...})
    await hls.stop()

Both answer a ``demo.http.Response`` or None for a name they do not serve; segment
URLs in the playlists are relative, so the simulator routes every name under the same
path prefix as its playlist back to the same method.
"""

from viewer.demo.hls.service import HlsService

__all__ = ["HlsService"]
