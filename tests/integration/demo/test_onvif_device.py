"""The demo's ONVIF PTZ camera answers as a real one: SOAP 1.2 with WS-UsernameToken
digests, its profile and stream, continuous, absolute and relative moves of a dome whose
view its RTSP stream shows, presets, and faults with ONVIF's subcodes."""

from __future__ import annotations

import asyncio
import contextlib
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import av
import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.demo.footage import DEMO_CAMERAS, FootageLibrary
from viewer.demo.onvif import (
    ENV,
    TDS,
    TPTZ,
    TRT,
    TT,
    Fault,
    OnvifCamera,
    parse_call,
    parse_duration,
    request,
    username_token,
)
from viewer.demo.panorama import read_view
from viewer.demo.ptz_view import dome_views
from viewer.demo.rtsp_auth import RtspAuth
from viewer.demo.rtsp_server import RtspServer

USER, PASSWORD = "admin", "0nvif-Passw0rd"
PROFILE = "<tptz:ProfileToken xmlns:tptz='http://www.onvif.org/ver20/ptz/wsdl'>profile_1</tptz:ProfileToken>"


class Client:
    def __init__(self, camera: OnvifCamera, http: httpx.AsyncClient) -> None:
        self.camera, self.http = camera, http

    async def call(
        self,
        operation: str,
        namespace: str,
        content: str = "",
        *,
        header: str | None = None,
    ) -> tuple[int, ET.Element]:
        path = {TDS: "device_service", TRT: "media_service", TPTZ: "ptz_service"}[namespace]
        token = username_token(USER, PASSWORD) if header is None else header
        answer = await self.http.post(
            f"/onvif/{path}",
            content=request(operation, namespace, content, token),
            headers={"Content-Type": "application/soap+xml; charset=utf-8"},
        )
        assert answer.headers["content-type"].startswith("application/soap+xml")
        body = ET.fromstring(answer.content).find(f"{{{ENV}}}Body")
        assert body is not None
        return answer.status_code, body[0]

    async def ptz(self, operation: str, content: str = "") -> ET.Element:
        status, answer = await self.call(operation, TPTZ, PROFILE + content)
        assert status == 200, ET.tostring(answer)
        assert answer.tag == f"{{{TPTZ}}}{operation}Response"
        return answer

    async def position(self) -> tuple[float, float, float, str]:
        answer = await self.ptz("GetStatus")
        pan_tilt = answer.find(f".//{{{TT}}}Position/{{{TT}}}PanTilt")
        zoom = answer.find(f".//{{{TT}}}Position/{{{TT}}}Zoom")
        moving = answer.findtext(f".//{{{TT}}}MoveStatus/{{{TT}}}PanTilt")
        assert pan_tilt is not None and zoom is not None and moving is not None
        return float(pan_tilt.get("x")), float(pan_tilt.get("y")), float(zoom.get("x")), moving


def subcode(answer: ET.Element) -> str | None:
    return answer.findtext(f"{{{ENV}}}Code/{{{ENV}}}Subcode/{{{ENV}}}Value")


@contextlib.asynccontextmanager
async def device(tmp_path) -> AsyncIterator[tuple[Client, RtspServer]]:
    rtsp = RtspServer(
        FootageLibrary(tmp_path), DEMO_CAMERAS[:1], auth=RtspAuth(USER, PASSWORD, "digest")
    )
    await rtsp.start()
    camera = OnvifCamera(
        user=USER,
        password=PASSWORD,
        stream_url=lambda: f"rtsp://127.0.0.1:{rtsp.port}/ptz/onvif-demo",
    )
    rtsp.on_demand["ptz"] = dome_views({"onvif-demo": camera.dome})
    await camera.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{camera.port}") as http:
            yield Client(camera, http), rtsp
    finally:
        await camera.stop()
        await rtsp.stop()


def picture_pan(url: str) -> float:
    """The pan the stream's first picture shows."""
    url = url.replace("rtsp://", f"rtsp://{USER}:{PASSWORD}@", 1)
    with av.open(url, options={"rtsp_transport": "tcp"}, timeout=(20, 5)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            for frame in stream.codec_context.decode(packet):
                view = read_view(frame.to_ndarray(format="rgb24"))
                assert view is not None
                return view[0]
    raise AssertionError("no picture")


def test_discovery_is_open_and_everything_else_needs_a_fresh_digest(tmp_path):
    async def scenario():
        async with device(tmp_path) as (client, _):
            status, answer = await client.call("GetSystemDateAndTime", TDS, header="")
            assert status == 200
            assert answer.findtext(f".//{{{TT}}}UTCDateTime/{{{TT}}}Date/{{{TT}}}Year")
            status, answer = await client.call("GetCapabilities", TDS, header="")
            assert answer.findtext(f".//{{{TT}}}PTZ/{{{TT}}}XAddr").endswith("/onvif/ptz_service")
            status, answer = await client.call("GetProfiles", TRT, header="")
            assert (status, subcode(answer)) == (400, "ter:NotAuthorized")
            status, answer = await client.call("GetProfiles", TRT)
            assert status == 200
            profile = answer.find(f"{{{TRT}}}Profiles")
            assert profile is not None and profile.get("token") == "profile_1"
            assert profile.find(f"{{{TT}}}PTZConfiguration") is not None
            # The same token twice (a replay), a wrong password, a stale Created.
            header = username_token(USER, PASSWORD)
            assert (await client.call("GetProfiles", TRT, header=header))[0] == 200
            assert (await client.call("GetProfiles", TRT, header=header))[0] == 400
            wrong = username_token(USER, "guess")
            assert subcode((await client.call("GetProfiles", TRT, header=wrong))[1]) == (
                "ter:NotAuthorized"
            )
            stale = username_token(USER, PASSWORD, datetime.now(UTC) - timedelta(hours=1))
            assert (await client.call("GetProfiles", TRT, header=stale))[0] == 400

    asyncio.run(scenario())


def test_a_continuous_move_right_turns_the_stream_right_and_stop_halts_it(tmp_path):
    async def scenario():
        async with device(tmp_path) as (client, _):
            _, answer = await client.call(
                "GetStreamUri",
                TRT,
                f"<trt:ProfileToken xmlns:trt='{TRT}'>profile_1</trt:ProfileToken>",
            )
            url = answer.findtext(f".//{{{TT}}}Uri")
            before = await asyncio.to_thread(picture_pan, url)
            await client.ptz(
                "ContinuousMove",
                f"<tptz:Velocity xmlns:tptz='{TPTZ}'><tt:PanTilt x='1' y='0'/></tptz:Velocity>"
                f"<tptz:Timeout xmlns:tptz='{TPTZ}'>PT5S</tptz:Timeout>",
            )
            await asyncio.sleep(1.0)
            assert (await client.position())[3] == "MOVING"
            await client.ptz("Stop")
            pan, _, _, moving = await client.position()
            assert moving == "IDLE"
            await asyncio.sleep(0.2)
            assert (await client.position())[0] == pan
            after = await asyncio.to_thread(picture_pan, url)
            turned = (after - before) % 360.0
            assert 50.0 < turned < 150.0, (before, after)
            assert abs((client.camera.dome.pose().pan - after + 180) % 360 - 180) < 2.0

    asyncio.run(scenario())


def test_absolute_relative_and_presets_move_the_dome_where_they_say(tmp_path):
    async def scenario():
        async with device(tmp_path) as (client, _):
            ns = f"xmlns:tptz='{TPTZ}'"
            await client.ptz(
                "AbsoluteMove",
                f"<tptz:Position {ns}><tt:PanTilt x='0.5' y='-0.2'/><tt:Zoom x='0.25'/>"
                "</tptz:Position>",
            )
            assert (await client.position())[3] == "MOVING"  # answered at once, as ONVIF does
            await until_idle(client)
            assert (await client.position())[:3] == (0.5, -0.2, 0.25)
            answer = await client.ptz(
                "SetPreset", f"<tptz:PresetName {ns}>Dock door</tptz:PresetName>"
            )
            token = answer.findtext(f"{{{TPTZ}}}PresetToken")
            await client.ptz(
                "RelativeMove",
                f"<tptz:Translation {ns}><tt:PanTilt x='-0.25' y='0.1'/></tptz:Translation>",
            )
            await until_idle(client)
            pan, tilt, _, _ = await client.position()
            assert abs(pan - 0.25) < 1e-6 and abs(tilt - -0.1) < 1e-6
            presets = await client.ptz("GetPresets")
            assert [p.findtext(f"{{{TT}}}Name") for p in presets] == ["Dock door"]
            await client.ptz("GotoPreset", f"<tptz:PresetToken {ns}>{token}</tptz:PresetToken>")
            await until_idle(client)
            assert (await client.position())[:3] == (0.5, -0.2, 0.25)
            await client.ptz("RemovePreset", f"<tptz:PresetToken {ns}>{token}</tptz:PresetToken>")
            status, fault = await client.call(
                "GotoPreset", TPTZ, PROFILE + f"<tptz:PresetToken {ns}>{token}</tptz:PresetToken>"
            )
            assert (status, subcode(fault)) == (400, "ter:NoToken")

    asyncio.run(scenario())


async def until_idle(client: Client) -> None:
    async with asyncio.timeout(30):
        while (await client.position())[3] != "IDLE":  # noqa: ASYNC110 - asked over HTTP
            await asyncio.sleep(0.05)


def test_faults_name_the_problem_and_the_camera_serves_on(tmp_path):
    async def scenario():
        async with device(tmp_path) as (client, _):
            status, fault = await client.call("GetStatus", TPTZ, "")
            assert (status, subcode(fault)) == (400, "ter:NoProfile")
            status, fault = await client.call("Reboot", TDS)
            assert (status, subcode(fault)) == (500, "ter:ActionNotSupported")
            status, fault = await client.call(
                "AbsoluteMove",
                TPTZ,
                PROFILE + f"<tptz:Position xmlns:tptz='{TPTZ}'><tt:PanTilt x='3' y='0'/>"
                "</tptz:Position>",
            )
            assert (status, subcode(fault)) == (400, "ter:InvalidArgVal")
            bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
            answer = await client.http.post("/onvif/ptz_service", content=bomb)
            assert answer.status_code == 400
            assert (await client.http.get("/onvif/ptz_service")).status_code == 405
            assert (await client.position())[3] == "IDLE"

    asyncio.run(scenario())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_body_is_a_call_or_a_fault(data):
    try:
        call = parse_call(data)
    except Fault as fault:
        assert fault.subcode.startswith("ter:")
    else:
        assert call.operation


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=40)
    | st.from_regex(
        r"P(\d{1,3}D)?(T(\d{1,3}H)?(\d{1,3}M)?(\d{1,3}(\.\d{1,3})?S)?)?", fullmatch=True
    )
)
def test_any_duration_is_seconds_or_none(text):
    seconds = parse_duration(text)
    assert seconds is None or seconds >= 0.0


def test_durations_as_clients_write_them():
    assert parse_duration("PT10S") == 10.0
    assert parse_duration("PT1M30.5S") == 90.5
    assert parse_duration("P1DT1H") == 90000.0
    assert parse_duration("PT") is None and parse_duration("10") is None


def test_the_demo_site_lists_its_onvif_camera_whose_stream_is_the_domes_view(demo_site):
    (entry,) = [e for e in demo_site.site.describe() if e["kind"] == "onvif"]
    assert entry["url"].startswith("http://127.0.0.1:") and entry["url"].endswith(
        "/onvif/device_service"
    )
    site = demo_site.site

    async def scenario():
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                entry["url"].replace("device_service", "media_service"),
                content=request(
                    "GetStreamUri",
                    TRT,
                    f"<trt:ProfileToken xmlns:trt='{TRT}'>profile_1</trt:ProfileToken>",
                    username_token(entry["user"], entry["password"]),
                ),
            )
        assert answer.status_code == 200
        return ET.fromstring(answer.content).findtext(f".//{{{TT}}}Uri")

    uri = asyncio.run(scenario())
    assert uri == entry["rtsp"]
    site.onvif.dome.place(site.onvif.space.pose(-0.5, 0.6, 0.0))
    with av.open(
        uri.replace("rtsp://", f"rtsp://{entry['user']}:{entry['password']}@", 1),
        options={"rtsp_transport": "tcp"},
        timeout=(20, 5),
    ) as container:
        stream = container.streams.video[0]
        frame = next(container.decode(stream))
        view = read_view(frame.to_ndarray(format="rgb24"))
    assert view is not None and abs(view[0] - 270.0) < 2.0
