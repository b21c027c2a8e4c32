"""The demo site: every simulated server on loopback, with the footage they share.

In the GUI the site runs in a thread with its own event loop, so that packetising 20
streams never competes with the window's loop for turns.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from viewer.demo.footage import ALL_CAMERAS, DemoCamera, FootageLibrary
from viewer.demo.gateway.server import GatewaySimulator
from viewer.demo.hls.service import HlsService
from viewer.demo.mibee.server import HLS_ONLY, MibeeSimulator
from viewer.demo.milestone.gateway import MilestoneSimulator
from viewer.demo.onvif import OnvifCamera
from viewer.demo.ptz_view import dome_views
from viewer.demo.rtsp_auth import RtspAuth
from viewer.demo.rtsp_playback import playback_sources
from viewer.demo.rtsp_server import RtspServer

DEMO_AUTH = RtspAuth("demo", "demo", "digest")
ONVIF_CAMERA = "cam16"
"""The demo RTSP camera that also answers ONVIF: its PTZ stream is a dome's view."""
MOTION_EVERY = 10.0
"""Seconds between the simulated XProtect site's motion events: one camera after another
starts motion and the one before stops, in the same order on every run."""


class DemoSite:
    def __init__(
        self,
        cache_dir: Path,
        *,
        host: str = "127.0.0.1",
        port_base: int | None = None,
        auth: RtspAuth | None = DEMO_AUTH,
    ) -> None:
        self.library = FootageLibrary(cache_dir)
        self.auth = auth
        self.rtsp = RtspServer(
            self.library,
            ALL_CAMERAS,
            host=host,
            port=port_base or 0,
            tls_port=port_base + 1 if port_base else 0,
            auth=auth,
        )
        self.milestone = MilestoneSimulator(
            user=DEMO_AUTH.user,
            password=DEMO_AUTH.password,
            host=host,
            port=port_base + 2 if port_base else 0,
            footage=self.library,
        )
        self.gateway = GatewaySimulator(
            user=DEMO_AUTH.user,
            password=DEMO_AUTH.password,
            host=host,
            port=port_base + 3 if port_base else 0,
            rtsp_host=host,
        )
        self.rtsp.aliases.update(self.gateway.aliases)
        # The gateway's playback URLs (/playback/{id}?start&speed): made as they play.
        self.rtsp.on_demand["playback"] = playback_sources(
            {guid: camera.name for guid, camera in self.gateway.cameras.items()}
        )
        self.mibee = MibeeSimulator(
            user=DEMO_AUTH.user,
            password=DEMO_AUTH.password,
            host=host,
            port=port_base + 4 if port_base else 0,
            rtsp_url=self._rtsp_with_credentials,
            hls=HlsService(self.library, warm_up=1.0),
        )
        # PTZ cameras' live pictures follow their heads: the gateway's on its own live
        # URLs (other cameras fall through to their footage), MiBee's restreams on /ptz/.
        self.rtsp.on_demand["live"] = dome_views(
            {guid: head.dome for guid, head in self.gateway.ptz.items()}
        )
        self.mibee.ptz.live_views.update(c for c in self.mibee.ptz.heads if c not in HLS_ONLY)
        self.onvif = OnvifCamera(
            user=DEMO_AUTH.user,
            password=DEMO_AUTH.password,
            host=host,
            port=port_base + 5 if port_base else 0,
            stream_url=lambda: self.onvif_stream,
        )
        self.rtsp.on_demand["ptz"] = dome_views(
            {f"mibee-{c}": self.mibee.ptz.dome(c) for c in self.mibee.ptz.live_views}
            | {f"onvif-{ONVIF_CAMERA}": self.onvif.dome}
        )
        self.preparing: threading.Thread | None = None

    @property
    def onvif_stream(self) -> str:
        """The ONVIF camera's stream (its GetStreamUri): the dome's view."""
        return f"rtsp://{self.rtsp.host}:{self.rtsp.port}/ptz/onvif-{ONVIF_CAMERA}"

    def _rtsp_with_credentials(self, camera_id: str, quality: str) -> str:
        """The URL an NVR's ``/protocols`` hands out: a stream it restreams, with its login."""
        url = self.rtsp.url(camera_id, quality)
        if camera_id in self.mibee.ptz.live_views:
            url = f"rtsp://{self.rtsp.host}:{self.rtsp.port}/ptz/mibee-{camera_id}"
        if self.auth is None:
            return url
        return url.replace("rtsp://", f"rtsp://{self.auth.user}:{self.auth.password}@", 1)

    async def start(self) -> None:
        """Listen, then encode any missing footage in the background: every camera's
        sub-stream first (what a grid plays), first cameras first (the 16 everyday ones,
        then those with real sites' habits), then the main streams.

        A client asking for a stream before its footage exists waits for it (if it
        gives up first, it finds the stream ready when it tries again).
        """
        await self.rtsp.start()
        await self.milestone.start()
        await self.mibee.start()
        self.gateway.rtsp_port = self.rtsp.port
        await self.gateway.start()
        await self.onvif.start()
        self.milestone.events.generate_motion(MOTION_EVERY)
        self.preparing = threading.Thread(
            target=self.library.prepare,
            args=([camera.id for camera in ALL_CAMERAS],),
            name="demo footage",
            daemon=True,
        )
        self.preparing.start()

    async def stop(self) -> None:
        self.library.close()
        await self.mibee.stop()
        await self.milestone.stop()
        await self.gateway.stop()
        await self.onvif.stop()
        await self.rtsp.stop()

    def describe(self) -> list[dict[str, Any]]:
        """Every server and camera stream, in the shape `vigil serve-demo --json` prints."""
        user = self.auth.user if self.auth else None
        password = self.auth.password if self.auth else None
        entries: list[dict[str, Any]] = [
            {
                "kind": "rtsp",
                "name": "Demo RTSP server",
                "url": f"rtsp://{self.rtsp.host}:{self.rtsp.port}/",
                "user": user,
                "password": password,
            }
        ]
        for camera in ALL_CAMERAS:
            for profile in camera.profiles:
                entries.append(
                    {
                        "kind": "stream",
                        "camera": camera.id,
                        "name": camera.name,
                        "quality": profile.quality,
                        "url": self.rtsp.url(camera.id, profile.quality),
                        "width": profile.width,
                        "height": profile.height,
                        **_habit_fields(camera),
                        "user": user,
                        "password": password,
                    }
                )
        certificate = self.rtsp.certificate
        entries.append(
            {
                "kind": "rtsps",
                "name": "Demo RTSPS server (self-signed certificate)",
                "url": f"rtsps://{self.rtsp.host}:{self.rtsp.tls_port}/",
                "user": user,
                "password": password,
                "sha256": certificate.fingerprint if certificate else None,
            }
        )
        entries.append(
            {
                "kind": "milestone",
                "name": f"Demo Milestone XProtect {self.milestone.release} "
                "(simulated, self-signed certificate)",
                "url": self.milestone.url,
                "user": self.milestone.user,
                "password": self.milestone.password,
                "sha256": self.milestone.certificate.fingerprint,
            }
        )
        entries.append(
            {
                "kind": "mibee",
                "name": "Demo MiBee NVR (simulated)",
                "url": self.mibee.url,
                "user": self.mibee.user,
                "password": self.mibee.password,
            }
        )
        entries.append(
            {
                "kind": "onvif",
                "name": f"Demo ONVIF PTZ camera (its stream {self.onvif_stream})",
                "camera": ONVIF_CAMERA,
                "url": self.onvif.url,
                "rtsp": self.onvif_stream,
                "user": self.onvif.user,
                "password": self.onvif.password,
            }
        )
        entries.append(
            {
                "kind": "gateway",
                "name": "Demo REST gateway (simulated, seed 000)",
                "url": self.gateway.url,
                "user": self.gateway.user,
                "password": self.gateway.password,
            }
        )
        return entries


def _habit_fields(camera: DemoCamera) -> dict[str, Any]:
    """How the stream behaves, so that a client or a test knows what to expect of it."""
    habit = camera.habit
    return {
        "fps": habit.fps,  # the highest, for a variable frame rate
        "min_fps": habit.min_fps,
        "variable_fps": habit.variable_fps,
        "keyframe_interval": habit.keyframe_interval,  # seconds
        "starts_on_keyframe": habit.starts_on_keyframe,
    }


class DemoSiteThread:
    """A DemoSite on its own thread and event loop."""

    def __init__(self, cache_dir: Path, **options: Any) -> None:
        self.site = DemoSite(cache_dir, **options)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="demo site", daemon=True)

    def start(self) -> None:
        """Returns once every server listens."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.site.start(), self.loop).result(timeout=30)

    def call(self, coroutine: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the site's loop (to stop or restart a server, say)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self.call(self.site.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
