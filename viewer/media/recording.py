"""Evidence clips: a span of a recording written to one MP4, without re-encoding where it can.

An investigator needs the pictures the recorder stored, not a copy degraded by a second
encoding, so the packets are copied as they are (remuxed) and only their timestamps are
rewritten: every packet's recorded instant is known from where it came (a downloaded
file's first instant, the instant a playback stream was asked for, a WebRTC recording's
RTP timestamps), and the clip's timeline is those instants, counted from its first
picture. Gaps in the recording stay gaps in the clip.

A copied clip can only start on a key frame, so it starts at the key frame at or before
the span's start (``Clip.lead`` says how much earlier) and ends before the first picture
at or after the span's end. With a burned-in stamp (camera name and recorded time, for
sharing outside the organisation) the pictures are decoded and re-encoded with libx264,
so the cut is exact.

The sources, all read on the calling thread: downloaded files (``cut_files``) and a
playback stream recorded as it comes (``record_stream``), whether FFmpeg can demux it
(RTSP, HLS) or it arrives over WebRTC. Everything is written to the path given; the
caller owns the temporary name and removes it when a clip fails or is cancelled.
"""

from __future__ import annotations

import logging
import threading
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

import av
import numpy as np
from av.video.codeccontext import VideoCodecContext
from av.video.stream import VideoStream
from PIL import Image, ImageDraw, ImageFont

from viewer.core.errors import NotFoundError, NotSupportedError, VigilError
from viewer.core.models import TimeSpan
from viewer.core.streams import StreamDescription
from viewer.media.errors import opening_error, reading_error
from viewer.media.http_io import HttpOpener
from viewer.media.recorded import asked_start
from viewer.media.sources import open_plan
from viewer.media.webrtc import WebRtcSource

log = logging.getLogger(__name__)
if TYPE_CHECKING:
    Packet = av.Packet[VideoStream]

TIME_BASE = Fraction(1, 90000)
"""The clip's timestamps: MPEG's 90 kHz, fine enough for any frame rate."""
OPEN_TIMEOUT = 10.0
READ_TIMEOUT = 15.0
DEFAULT_FRAME = 1 / 25
"""The last picture's duration when the stream never showed two."""

Progress = Callable[[float], None]
"""Called with the part of the span done so far (0 to 1), from the working thread."""


class RecordingCancelled(Exception):
    """The export was cancelled; whatever was written is the caller's to remove."""


@dataclass(frozen=True)
class Stamp:
    """What to burn into every picture: the camera's name and the recorded time,
    shown in ``zone`` with its offset so a reader elsewhere knows the instant."""

    camera_name: str
    zone: tzinfo = UTC


@dataclass(frozen=True)
class Piece:
    """A downloaded recording file and the recorded instant of its timestamp zero.

    A server's export of a span with gaps may lay the recorded parts end to end (the
    REST gateway's does): ``laid`` then names those parts, oldest first, and a picture's
    place in the file is mapped through them, so a picture after a gap keeps its own
    instant. Empty: the file runs on from ``epoch`` without a break.
    """

    path: Path
    epoch: datetime
    laid: tuple[TimeSpan, ...] = ()

    def instant(self, offset: float) -> float:
        """The recorded instant (UTC seconds) of the picture ``offset`` seconds into
        the file; past the last part it runs on from that part's end."""
        if not self.laid:
            return self.epoch.timestamp() + offset
        passed = 0.0
        for part in self.laid:
            length = part.duration.total_seconds()
            if offset < passed + length:
                return part.start.timestamp() + (offset - passed)
            passed += length
        return self.laid[-1].end.timestamp() + (offset - passed)


@dataclass(frozen=True)
class Clip:
    path: Path
    first: datetime
    """Recorded instant of the clip's first picture."""
    last: datetime
    """Recorded instant of its last picture."""
    frames: int
    codec: str
    width: int
    height: int
    reencoded: bool
    lead: float
    """Seconds the clip starts before the span asked for (its key frame at or before)."""
    instants: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)
    """The recorded instant of every picture written (UTC seconds, in the order written),
    to tell whether the clip holds every picture (completeness.py)."""


def export_piece(path: Path, start: datetime, recorded: Sequence[TimeSpan]) -> Piece:
    """A server's export file of a span that starts at ``start`` and holds the
    ``recorded`` parts (oldest first, as the site's timeline names them).

    Some servers lay the parts end to end and leave the gaps out, others keep the gaps
    as time without pictures; the file's length tells which (the gateway's seed says
    nothing). Either way its timestamp zero is the first recorded instant.
    """
    if not recorded:
        return Piece(path, start)
    try:
        with av.open(str(path)) as container:
            length = (container.duration or 0) / av.time_base
    except Exception as exc:
        raise opening_error(exc, path.name) from None
    laid = sum(part.duration.total_seconds() for part in recorded)
    kept = (recorded[-1].end - recorded[0].start).total_seconds()
    if abs(length - laid) <= abs(length - kept):
        return Piece(path, recorded[0].start, tuple(recorded))
    return Piece(path, recorded[0].start)


# -- sources -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Timed:
    packet: Packet
    instant: float
    """Recorded instant of the packet's picture, UTC seconds since the epoch."""


def _seconds(packet: Packet) -> float | None:
    """The packet's timestamp in seconds (its presentation time, else its decoding time)."""
    stamp = packet.pts if packet.pts is not None else packet.dts
    if stamp is None or packet.time_base is None:
        return None
    return float(stamp * packet.time_base)


def _instant(packet: Packet, epoch: float) -> float | None:
    """The packet's recorded instant when its timestamp counts from ``epoch``."""
    seconds = _seconds(packet)
    return None if seconds is None else epoch + seconds


def _demuxed(
    container: av.container.InputContainer, instant_of: Callable[[float], float]
) -> Iterator[_Timed]:
    """The video packets with the recorded instants ``instant_of`` maps their
    timestamps to.

    FFmpeg's RTSP demuxer gives the first packet (the key frame a playback starts with)
    no timestamp, and the ones after it count from its RTP time plus the ``npt=`` the
    server answered PLAY with: a start inside a gap begins at the gap's end, not at
    the instant asked. So the first packet is placed one picture interval before the
    next, measured between the two that follow it.
    """
    stream = container.streams.video[0]
    untimed: Packet | None = None
    timed: list[_Timed] = []
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        seconds = _seconds(packet)
        if seconds is None:
            if untimed is None and not timed and packet.is_keyframe:
                untimed = packet
            continue
        current = _Timed(packet, instant_of(seconds))
        if untimed is None:
            yield current
            continue
        timed.append(current)
        if len(timed) < 2:
            continue
        yield _Timed(untimed, _before(timed[0].instant, timed[1].instant))
        untimed = None
        yield from timed
        timed.clear()
    if untimed is not None and timed:
        yield _Timed(untimed, _before(timed[0].instant, None))
    yield from timed


def _before(first: float, second: float | None) -> float:
    """The instant of the picture before ``first``, at the rhythm ``second`` shows."""
    step = second - first if second is not None and second > first else DEFAULT_FRAME
    return first - step


def cut_files(
    pieces: Sequence[Piece],
    span: TimeSpan,
    path: Path,
    *,
    stamp: Stamp | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Clip:
    """``span`` of the recording files ``pieces`` (oldest first) as one MP4 at ``path``.

    NotFoundError when they hold no picture of the span, NotSupportedError for a
    file without video, RecordingCancelled when ``stop`` is set.
    """
    writer: _ClipWriter | None = None
    for piece in pieces:
        try:
            container = av.open(str(piece.path))
        except Exception as exc:
            raise opening_error(exc, piece.path.name) from None
        with container:
            if not container.streams.video:
                raise NotSupportedError(f"the recording {piece.path.name} carries no video")
            template = container.streams.video[0]
            if writer is None:
                writer = _ClipWriter(path, span, template, stamp, progress, stop)
            writer.next_source()
            try:
                for timed in _demuxed(container, piece.instant):
                    if not writer.feed(timed):
                        return writer.finish()
            except (VigilError, RecordingCancelled):
                raise
            except Exception as exc:
                raise reading_error(exc, piece.path.name) from None
    if writer is None:
        raise NotFoundError(f"no recording between {_words(span)}")
    return writer.finish()


def record_stream(
    description: StreamDescription,
    span: TimeSpan,
    path: Path,
    *,
    epoch: datetime,
    stamp: Stamp | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    open_timeout: float = OPEN_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
) -> Clip:
    """Record a playback stream asked for at ``epoch`` until it reaches ``span``'s end.

    A PyAV stream's timestamps are taken to count from the start its URL asks for
    (an RTSP playback URL's ``start``, which the gateway rounds to whole seconds), else
    from ``epoch`` (an HLS VOD playlist's start); a WebRTC recording's from its
    ``rtp_ms_epoch``. Read as fast as the server sends: the faster the playback speed
    the backend honours, the sooner the clip is done.
    """
    stop = stop or threading.Event()
    if description.signalling is not None:
        return _record_webrtc(description, span, path, stamp, progress, stop, open_timeout)
    origin = asked_start(description.url) or epoch.timestamp()
    where = description.display_url
    plan = open_plan(description)
    opener = (
        HttpOpener(description.ca_file, open_timeout, read_timeout, description.pinned)
        if plan.fetched_by_httpx
        else None
    )
    try:
        try:
            container = av.open(
                description.url,
                options=dict(plan.options),
                timeout=(open_timeout, read_timeout),
                io_open=opener,
            )
        except Exception as exc:
            raise opening_error(exc, where, description.pinned) from None
        with container:
            if not container.streams.video:
                raise NotSupportedError(f"{where} carries no video")
            writer = _ClipWriter(path, span, container.streams.video[0], stamp, progress, stop)
            try:
                for timed in _demuxed(container, lambda seconds: origin + seconds):
                    if not writer.feed(timed):
                        break
            except (VigilError, RecordingCancelled):
                raise
            except Exception as exc:
                raise reading_error(exc, where) from None
            return writer.finish()
    finally:
        if opener is not None:
            opener.close()


def _record_webrtc(  # noqa: PLR0917 (one caller, all of record_stream's)
    description: StreamDescription,
    span: TimeSpan,
    path: Path,
    stamp: Stamp | None,
    progress: Progress | None,
    stop: threading.Event,
    open_timeout: float,
) -> Clip:
    """The session's encoded frames, as the player takes them from aiortc, copied."""
    if description.rtp_ms_epoch is None:
        raise NotSupportedError(f"{description.display_url} does not say what time it shows")
    epoch = description.rtp_ms_epoch.timestamp()
    source = WebRtcSource(description, open_timeout=open_timeout)
    source.start()
    try:
        codec = source.decoder(stop)
        writer = _ClipWriter(path, span, codec, stamp, progress, stop)
        for packet in source.packets(stop, READ_TIMEOUT):
            instant = _instant(packet, epoch)
            if instant is not None and not writer.feed(_Timed(packet, instant)):
                break
        if stop.is_set():
            raise RecordingCancelled
        return writer.finish()
    finally:
        source.close()


# -- writing -------------------------------------------------------------------------


class _ClipWriter:
    """Cuts packets in recorded order to the span and writes them to one MP4.

    ``template`` is the source's stream (copied as it is) or, for frames that come
    without a container (WebRTC), a decoder of their codec: the clip's stream is then
    made from the first key frame's size, and FFmpeg's MP4 muxer takes the parameter
    sets from that frame.
    """

    def __init__(  # noqa: PLR0917 (two callers in this module)
        self,
        path: Path,
        span: TimeSpan,
        template: VideoStream | VideoCodecContext,
        stamp: Stamp | None,
        progress: Progress | None,
        stop: threading.Event | None,
    ) -> None:
        self._path = path
        self._start, self._end = span.start.timestamp(), span.end.timestamp()
        self._template = template
        context = template if isinstance(template, VideoCodecContext) else template.codec_context
        self._codec = context.name
        self._stamp = stamp
        self._progress = progress
        self._stop = stop
        self._gop: list[_Timed] = []
        self._started = False
        self._output: av.container.OutputContainer | None = None
        self._stream: VideoStream | None = None
        self._origin: float | None = None
        self._held: tuple[Packet, int] | None = None
        self._last_dts: int | None = None
        self._last_instant: float | None = None
        self._step: int | None = None
        self._first: float | None = None
        self._frames = 0
        self._written = array("d")
        self._size = (0, 0)
        self._need_key = True
        self._decoder: VideoCodecContext | None = None
        self._instants: dict[int, float] = {}
        self._last_written: float | None = None
        self._resume_after: float | None = None
        if stamp is not None:
            self._decoder = _decoder_like(context)

    def next_source(self) -> None:
        """A new file follows: its first packets overlap or follow what was written, and
        it must start on a key frame of its own."""
        self._need_key = True
        self._resume_after = self._last_instant
        if self._decoder is not None:
            self._drain()

    def feed(self, timed: _Timed) -> bool:
        """Take one packet; False once the span's end is reached."""
        if self._stop is not None and self._stop.is_set():
            raise RecordingCancelled
        if timed.instant >= self._end:
            return False
        if self._resume_after is not None:
            if timed.instant <= self._resume_after:
                return True  # already written from the file before
            self._resume_after = None
        if self._need_key:
            if not timed.packet.is_keyframe:
                return True
            self._need_key = False
        if not self._started:
            if timed.packet.is_keyframe:
                self._gop = [timed]
            elif self._gop:
                self._gop.append(timed)
            if timed.instant < self._start:
                return True
            self._started = True
            for held in self._gop:
                self._write(held)
            self._gop = []
            return True
        self._write(timed)
        return True

    def _write(self, timed: _Timed) -> None:
        self._last_instant = timed.instant
        if self._progress is not None:
            done = (timed.instant - self._start) / max(self._end - self._start, 1e-6)
            self._progress(min(max(done, 0.0), 1.0))
        if self._decoder is not None:
            self._reencode(timed)
        else:
            self._copy(timed)

    # -- copied --------------------------------------------------------------------

    def _copy(self, timed: _Timed) -> None:
        packet = timed.packet
        if self._stream is None:
            self._open_copy(packet)
        assert self._stream is not None
        if self._origin is None:
            self._origin = self._first = timed.instant
        pts = round((timed.instant - self._origin) / TIME_BASE)
        reorder = 0
        if packet.pts is not None and packet.dts is not None and packet.time_base is not None:
            reorder = round((packet.pts - packet.dts) * packet.time_base / TIME_BASE)
        dts = pts - reorder
        if self._last_dts is not None and dts <= self._last_dts:
            return
        self._last_dts = dts
        self._release(pts)
        self._held = (packet, pts)
        packet.dts = dts
        self._frames += 1
        self._written.append(timed.instant)

    def _open_copy(self, packet: Packet) -> None:
        output = self._open_output()
        if isinstance(self._template, VideoCodecContext):
            width, height = _frame_size(self._template, packet)
            stream = cast(VideoStream, output.add_stream(self._codec))
            stream.width, stream.height = width, height
        else:
            stream = output.add_stream_from_template(self._template)
            width, height = self._template.codec_context.width, self._template.codec_context.height
        stream.time_base = TIME_BASE
        self._stream, self._size = stream, (width, height)

    def _release(self, next_pts: int | None) -> None:
        """Write the packet held back, now that the next one tells its duration."""
        if self._held is None:
            return
        packet, pts = self._held
        self._held = None
        if next_pts is not None and next_pts > pts:
            self._step = next_pts - pts
        packet.pts = pts
        packet.duration = self._step or round(DEFAULT_FRAME / TIME_BASE)
        packet.time_base = TIME_BASE
        assert self._stream is not None
        assert self._output is not None
        packet.stream = self._stream
        self._output.mux(packet)

    # -- re-encoded with a stamp ---------------------------------------------------

    def _reencode(self, timed: _Timed) -> None:
        decoder = self._decoder
        assert decoder is not None
        packet = timed.packet
        key = _stamp_key(packet)
        self._instants[key] = timed.instant
        try:
            frames = decoder.decode(packet)
        except av.InvalidDataError:
            return
        for frame in frames:
            self._encode(frame)

    def _drain(self) -> None:
        assert self._decoder is not None
        try:
            frames = self._decoder.decode(None)
        except av.InvalidDataError:
            frames = []
        for frame in frames:
            self._encode(frame)
        self._decoder = _decoder_like(self._decoder)
        self._instants.clear()

    def _encode(self, frame: av.VideoFrame) -> None:
        instant = self._instants.pop(frame.pts if frame.pts is not None else -1, None)
        if instant is None or instant < self._start or instant >= self._end:
            return
        if self._stream is None:
            output = self._open_output()
            stream = output.add_stream("libx264", rate=25)
            stream.width, stream.height = frame.width, frame.height
            stream.pix_fmt = "yuv420p"
            stream.codec_context.time_base = TIME_BASE
            stream.options = {"preset": "veryfast", "crf": "20"}
            self._stream, self._size = stream, (frame.width, frame.height)
        if self._origin is None:
            self._origin = self._first = instant
        assert self._stamp is not None
        assert self._output is not None
        picture = _stamped(frame, self._stamp, instant)
        picture.pts = round((instant - self._origin) / TIME_BASE)
        picture.time_base = TIME_BASE
        for packet in self._stream.encode(picture):
            self._output.mux(packet)
        self._frames += 1
        self._written.append(instant)
        self._last_written = instant

    # -- both ----------------------------------------------------------------------

    def _open_output(self) -> av.container.OutputContainer:
        # faststart: the index goes before the pictures, so a player can start the
        # clip before it has read the whole file (a share, a browser).
        self._output = av.open(
            str(self._path), "w", format="mp4", options={"movflags": "+faststart"}
        )
        return self._output

    def finish(self) -> Clip:
        """Write what is held and close the file; NotFoundError if nothing was written."""
        if self._decoder is not None and self._output is not None:
            self._drain()
            assert self._stream is not None
            for packet in self._stream.encode(None):
                self._output.mux(packet)
        else:
            self._release(None)
        if self._output is None or self._frames == 0 or self._first is None:
            if self._output is not None:
                self._output.close()
            raise NotFoundError(f"no recording between {_words_of(self._start, self._end)}")
        self._output.close()
        last = self._last_written if self._decoder is not None else self._last_instant
        width, height = self._size
        return Clip(
            path=self._path,
            first=datetime.fromtimestamp(self._first, UTC),
            last=datetime.fromtimestamp(last or self._first, UTC),
            frames=self._frames,
            codec="h264" if self._decoder is not None else self._codec,
            width=width,
            height=height,
            reencoded=self._decoder is not None,
            lead=max(self._start - self._first, 0.0),
            instants=np.frombuffer(self._written, dtype=np.float64).copy(),
        )


def _decoder_like(context: VideoCodecContext) -> VideoCodecContext:
    decoder = av.CodecContext.create(context.name, "r")
    assert isinstance(decoder, VideoCodecContext)
    if context.extradata:
        decoder.extradata = context.extradata
    decoder.thread_count = 0
    return decoder


def _stamp_key(packet: Packet) -> int:
    """The key that finds a decoded frame's instant again: its packet's pts (a frame
    keeps its packet's pts through the decoder)."""
    return int(packet.pts) if packet.pts is not None else -1


def _frame_size(decoder: VideoCodecContext, packet: Packet) -> tuple[int, int]:
    """The picture size of a key frame that came without a container."""
    probe = _decoder_like(decoder)
    for frame in probe.decode(packet):
        return frame.width, frame.height
    for frame in probe.decode(None):
        return frame.width, frame.height
    raise NotSupportedError("the stream's first key frame could not be decoded")


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _stamped(frame: av.VideoFrame, stamp: Stamp, instant: float) -> av.VideoFrame:
    """The picture with a band at the top: the camera's name and the recorded time."""
    image = Image.fromarray(frame.to_ndarray(format="rgb24"))
    moment = datetime.fromtimestamp(instant, UTC).astimezone(stamp.zone)
    text = f"{stamp.camera_name}   {moment.isoformat(sep=' ', timespec='milliseconds')}"
    size = max(12, image.height // 24)
    draw = ImageDraw.Draw(image)
    box = draw.textbbox((0, 0), text, font=_font(size))
    margin = size // 3
    draw.rectangle((0, 0, box[2] + 2 * margin, box[3] + 2 * margin), fill=(0, 0, 0))
    draw.text((margin, margin), text, fill=(255, 255, 255), font=_font(size))
    picture = av.VideoFrame.from_ndarray(np.asarray(image), format="rgb24")
    return picture.reformat(format="yuv420p")


def _words(span: TimeSpan) -> str:
    return _words_of(span.start.timestamp(), span.end.timestamp())


def _words_of(start: float, end: float) -> str:
    first = datetime.fromtimestamp(start, UTC).isoformat(timespec="seconds")
    last = datetime.fromtimestamp(end, UTC).isoformat(timespec="seconds")
    return f"{first} and {last}"
