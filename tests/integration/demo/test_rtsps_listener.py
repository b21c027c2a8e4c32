"""The demo's RTSPS listener: a camera with its factory certificate, signed by itself."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import ssl
import subprocess

import pytest

from viewer.demo.serve import format_line

FFPROBE = shutil.which("ffprobe")


def presented(host: str, port: int) -> bytes:
    """The DER certificate the listener presents, taken without judging it."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=10) as raw,
        context.wrap_socket(raw) as tls,
    ):
        return tls.getpeercert(binary_form=True)


def test_it_is_listed_with_the_fingerprint_of_the_certificate_it_presents(demo_site):
    rtsp = demo_site.site.rtsp
    [entry] = [e for e in demo_site.site.describe() if e["kind"] == "rtsps"]
    assert entry["url"] == f"rtsps://127.0.0.1:{rtsp.tls_port}/"
    assert (entry["user"], entry["password"]) == ("demo", "demo")
    digest = hashlib.sha256(presented("127.0.0.1", rtsp.tls_port)).hexdigest().upper()
    assert entry["sha256"].replace(":", "") == digest
    line = format_line(entry)
    assert entry["url"] in line
    assert f"SHA-256 {entry['sha256']}" in line


def test_its_certificate_names_the_camera_so_no_authority_check_can_pass(demo_site):
    rtsp = demo_site.site.rtsp
    context = ssl.create_default_context(cadata=rtsp.certificate.pem.decode())
    with (
        socket.create_connection(("127.0.0.1", rtsp.tls_port), timeout=10) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match=r"127\.0\.0\.1"),
    ):
        context.wrap_socket(raw, server_hostname="127.0.0.1")


@pytest.mark.skipif(FFPROBE is None, reason="ffprobe (Debian package ffmpeg) is needed")
def test_ffprobe_plays_it_when_told_not_to_verify(demo_site):
    url = demo_site.site.rtsp.url("cam05", "sub", tls=True).replace(
        "rtsps://", "rtsps://demo:demo@"
    )
    insecure = ["-tls_verify", "0", "-rtsp_transport", "tcp"]
    result = subprocess.run(
        [FFPROBE, "-v", "error", *insecure, "-show_streams", "-of", "json", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (stream,) = json.loads(result.stdout)["streams"]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 640, 360)
