"""Streams over TLS play only from servers whose certificates can be trusted: vouched
for by an authority the site trusts, or the very certificate the operator pinned.

FFmpeg alone would play every one of these: its https does not verify by default, and
its HLS demuxer does not verify segment servers even when told to. Told to verify, it
would refuse every camera's own certificate, which never names the camera's address.
"""

from __future__ import annotations

import datetime
import functools
import http.server
import ssl
import threading

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from viewer.core.certificates import PinnedCertificate
from viewer.core.errors import CertificateChangedError, CertificateError
from viewer.core.streams import StreamDescription
from viewer.demo.certificate import SelfSignedCertificate, self_signed
from viewer.demo.footage import DEMO_CAMERAS
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

from .clips import pixel_rgb, write_hls
from .freezing_proxy import FreezingProxy
from .test_player_sources import Collector, play

TEAL = (20, 160, 150)


def issued_by(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


class HttpsFolder:
    """A folder served over HTTPS on 127.0.0.1 with the certificate of ``context``."""

    def __init__(self, folder, context: ssl.SSLContext) -> None:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args: None
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def https(tmp_path):
    """(start a server for a folder with a CA, the CA file a player may be told to trust)"""
    servers = []
    trusted = trustme.CA()
    ca_file = tmp_path / "site-ca.pem"
    trusted.cert_pem.write_to_path(str(ca_file))

    def serve(folder, ca=trusted, context=None) -> str:
        servers.append(HttpsFolder(folder, context or issued_by(ca)))
        return servers[-1].url

    yield serve, str(ca_file)
    for server in servers:
        server.close()


def hls(folder):
    folder.mkdir()
    write_hls(folder, TEAL, frames=50)
    return folder


def refused(description: StreamDescription) -> StreamPlayer:
    """The player, once it gave up on ``description`` for good (it ends by itself)."""
    player = StreamPlayer(description)
    collector = Collector(player, (160, 90))
    player.start()
    try:
        assert player.join(20), "a refused certificate must not be retried"
    finally:
        player.stop()
        player.join(5)
    assert player.state.state is PlayerState.FAILED
    assert player.stats.reconnects == 0
    collector.pump()
    assert collector.images == []
    return player


def demo_rtsps(demo_site, camera="cam04") -> str:
    url = demo_site.site.rtsp.url(camera, "sub", tls=True)
    return url.replace("rtsps://", "rtsps://demo:demo@")


def demo_pin(demo_site) -> PinnedCertificate:
    return PinnedCertificate.from_pem(demo_site.site.rtsp.certificate.pem.decode())


def assert_colour(image, expected, tolerance) -> None:
    colour = pixel_rgb(image, image.width * 15 // 16, image.height * 15 // 16)
    assert all(abs(a - e) <= tolerance for a, e in zip(colour, expected, strict=True))


def test_hls_over_https_plays_from_a_server_the_site_trusts(tmp_path, https):
    serve, ca_file = https
    base = serve(hls(tmp_path / "cam"))
    description = StreamDescription(f"{base}/index.m3u8", live=False, ca_file=ca_file)
    _, collector = play(description, box=(320, 180))
    red, green, blue = pixel_rgb(collector.images[-1], 160, 120)
    assert abs(red - TEAL[0]) < 12 and abs(green - TEAL[1]) < 12 and abs(blue - TEAL[2]) < 12


def test_an_untrusted_certificate_fails_for_good_and_says_why(tmp_path, https):
    serve, _ = https
    base = serve(hls(tmp_path / "cam"))
    url = base.replace("https://", "https://operator:hunter2@") + "/index.m3u8"
    player = refused(StreamDescription(url, live=True))
    error = player.state.error
    assert isinstance(error, CertificateError)
    assert "not trusted" in str(error)
    assert "hunter2" not in str(error)


def test_segments_from_an_untrusted_server_are_refused_even_if_the_playlist_is_trusted(
    tmp_path, https
):
    serve, ca_file = https
    segments = serve(hls(tmp_path / "segments"), ca=trustme.CA())
    playlist = (tmp_path / "segments" / "index.m3u8").read_text()
    # The trusted server's playlist sends the player to the other server for the video.
    (tmp_path / "playlist").mkdir()
    (tmp_path / "playlist" / "index.m3u8").write_text(
        playlist.replace("index", f"{segments}/index")
    )
    base = serve(tmp_path / "playlist")
    player = refused(StreamDescription(f"{base}/index.m3u8", live=False, ca_file=ca_file))
    assert isinstance(player.state.error, CertificateError)
    assert segments.removeprefix("https://") in str(player.state.error)


def test_a_camera_whose_own_certificate_was_pinned_plays_though_it_names_no_address(demo_site):
    # The demo camera's certificate is signed by itself and names "Vigil demo camera".
    description = StreamDescription(demo_rtsps(demo_site), pinned=demo_pin(demo_site))
    _, collector = play(description, box=(320, 180), frames=3)
    assert_colour(collector.images[-1], DEMO_CAMERAS[3].colour, 40)


def test_a_camera_with_its_own_certificate_is_refused_unless_pinned(demo_site):
    player = refused(StreamDescription(demo_rtsps(demo_site)))
    assert type(player.state.error) is CertificateError


def test_a_camera_presenting_another_certificate_than_the_pinned_one_is_refused_naming_both(
    demo_site,
):
    pinned = PinnedCertificate.from_pem(self_signed().pem.decode())
    player = refused(StreamDescription(demo_rtsps(demo_site), pinned=pinned))
    error = player.state.error
    assert isinstance(error, CertificateChangedError)
    presented = demo_pin(demo_site).fingerprint
    assert (error.pinned, error.presented) == (pinned.fingerprint, presented)
    assert presented in str(error)
    assert ":demo@" not in str(error)


def test_a_camera_named_only_by_its_address_is_checked_by_a_probe_before_ffmpeg_connects(
    demo_site,
):
    # GnuTLS never matches an address against a common name, so FFmpeg cannot check it.
    camera = self_signed(common_name="127.0.0.1")
    pinned = PinnedCertificate.from_pem(camera.pem.decode())
    with FreezingProxy(demo_site.site.rtsp.port, tls=camera.server_context()) as proxy:
        url = f"rtsps://demo:demo@127.0.0.1:{proxy.port}/demo/cam02/sub"
        _, collector = play(StreamDescription(url, pinned=pinned), box=(320, 180), frames=3)
        assert_colour(collector.images[-1], DEMO_CAMERAS[1].colour, 40)

        other = PinnedCertificate.from_pem(self_signed(common_name="127.0.0.1").pem.decode())
        player = refused(StreamDescription(url, pinned=other))
    error = player.state.error
    assert isinstance(error, CertificateChangedError)
    assert (error.pinned, error.presented) == (other.fingerprint, pinned.fingerprint)


def test_https_trusts_a_pinned_certificate_whatever_host_it_names(tmp_path, https):
    serve, _ = https
    camera = self_signed()
    base = serve(hls(tmp_path / "cam"), context=camera.server_context())
    pinned = PinnedCertificate.from_pem(camera.pem.decode())
    description = StreamDescription(f"{base}/index.m3u8", live=False, pinned=pinned)
    _, collector = play(description, box=(320, 180))
    assert_colour(collector.images[-1], TEAL, 12)


def test_https_refuses_any_other_certificate_than_the_pinned_one(tmp_path, https):
    serve, _ = https
    camera = self_signed()
    base = serve(hls(tmp_path / "cam"), context=camera.server_context())
    pinned = PinnedCertificate.from_pem(self_signed().pem.decode())
    player = refused(StreamDescription(f"{base}/index.m3u8", live=False, pinned=pinned))
    error = player.state.error
    assert isinstance(error, CertificateChangedError)
    presented = PinnedCertificate.from_pem(camera.pem.decode()).fingerprint
    assert (error.pinned, error.presented) == (pinned.fingerprint, presented)


def test_https_pinned_to_a_certificate_an_authority_issued_trusts_that_one_alone(tmp_path, https):
    serve, _ = https
    authority = trustme.CA()
    leaf = authority.issue_cert("camera.invalid")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    base = serve(hls(tmp_path / "cam"), context=context)
    pinned = PinnedCertificate.from_pem(leaf.cert_chain_pems[0].bytes().decode())
    description = StreamDescription(f"{base}/index.m3u8", live=False, pinned=pinned)
    _, collector = play(description, box=(320, 180))
    assert_colour(collector.images[-1], TEAL, 12)


def expired_certificate() -> SelfSignedCertificate:
    """The demo's kind of certificate, re-signed to have run out yesterday."""
    made = self_signed()
    key = serialization.load_pem_private_key(made.key_pem, password=None)
    original = x509.load_pem_x509_certificate(made.pem)
    now = datetime.datetime.now(datetime.UTC)
    expired = (
        x509.CertificateBuilder()
        .subject_name(original.subject)
        .issuer_name(original.issuer)
        .public_key(original.public_key())
        .serial_number(original.serial_number)
        .not_valid_before(now - datetime.timedelta(days=30))
        .not_valid_after(now - datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return SelfSignedCertificate(expired.public_bytes(serialization.Encoding.PEM), made.key_pem)


def test_a_pinned_certificate_that_expired_is_refused_saying_so(tmp_path, https):
    serve, _ = https
    camera = expired_certificate()
    base = serve(hls(tmp_path / "cam"), context=camera.server_context())
    pinned = PinnedCertificate.from_pem(camera.pem.decode())
    player = refused(StreamDescription(f"{base}/index.m3u8", live=False, pinned=pinned))
    error = player.state.error
    assert type(error) is CertificateError
    yesterday = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=1)
    assert f"expired on {yesterday.isoformat()}" in str(error)
