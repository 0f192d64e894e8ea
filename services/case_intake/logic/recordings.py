"""Voice notes (语音留言) of a filing: checked by content, copied into a clean container, attached once.

An upload is at most MAX_UPLOAD_BYTES. Its first bytes choose one of three demuxers of FFmpeg (through PyAV):
Matroska/WebM (an EBML header), Ogg ("OggS") or MP4/M4A (an `ftyp` box); nothing else is probed, and the name
or type the file was sent with is never read. It must hold exactly one stream, an audio stream of the codec
that container is allowed (Opus in WebM and Ogg, AAC in MP4): what a phone's MediaRecorder makes. Every packet
is decoded, and the decoded samples give its length (Chrome's WebM says none in its header); past MAX_SECONDS
(and a little tolerance) it is refused as soon as that is known. The packets are then copied, not re-encoded,
into a fresh container of the same kind: no tags survive, and the copy carries its duration (so a player can
show it and seek).
"""

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import av
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.logic.photos import may_see
from services.case_intake.models import Case, Recording
from shared.auth import Principal
from shared.errors import Conflict, NotFound, ProblemError, Unprocessable

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_SECONDS = 60
TOLERANCE_SECONDS = 2.0
"""A recorder stopped at 60 s hands over a little more (its last packet, the codec's padding)."""
MIN_SECONDS = 0.3


class NotAudio(Unprocessable):
    slug, title = "not-audio", "The file is not a usable voice recording"


class TooLong(Unprocessable):
    slug, title = "recording-too-long", "The recording is too long"


class TooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


@dataclass(frozen=True)
class Container:
    """One kind of upload taken: how it starts, FFmpeg's demuxer and muxer for it, its one codec."""

    name: str
    demuxer: str
    codec: str
    muxer: str
    content_type: str


WEBM = Container("webm", "matroska", "opus", "webm", "audio/webm")
OGG = Container("ogg", "ogg", "opus", "ogg", "audio/ogg")
MP4 = Container("mp4", "mp4", "aac", "ipod", "audio/mp4")
CONTAINERS = {container.name: container for container in (WEBM, OGG, MP4)}


@dataclass(frozen=True)
class Prepared:
    """The clean copy of an upload and what was learnt of it."""

    content: bytes
    container: Container
    duration_ms: int


def _container(data: bytes) -> Container:
    """Which demuxer may read it, by its first bytes (the magic numbers of the three formats)."""
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return WEBM
    if data[:4] == b"OggS":
        return OGG
    if data[4:8] == b"ftyp":
        return MP4
    raise NotAudio("Send a voice recording (WebM or Ogg with Opus, or MP4 with AAC); this file is none of them.")


def prepare(data: bytes) -> Prepared:
    """Check an upload by its content and copy it into a clean container; NotAudio, TooLong or TooLarge."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise TooLarge("A voice recording may be at most 2 MB.")
    container = _container(data)
    try:
        return _remux(data, container)
    except (NotAudio, TooLong):
        raise
    except Exception as error:  # any demuxer or decoder failure (truncated, corrupt, not audio) is the upload's
        raise NotAudio("The voice recording could not be read; record it again.") from error


def _remux(data: bytes, container: Container) -> Prepared:
    limit = MAX_SECONDS + TOLERANCE_SECONDS
    out = io.BytesIO()
    with av.open(io.BytesIO(data), format=container.demuxer, metadata_errors="ignore") as source:
        streams = list(source.streams)
        if len(streams) != 1 or streams[0].type != "audio" or streams[0].codec_context.name != container.codec:
            raise NotAudio(
                "A voice recording holds one audio stream ({codec} in {container}) and nothing else.",
                params={"codec": container.codec, "container": container.name},
            )
        stream = streams[0]
        samples, rate = 0, 0
        with av.open(out, "w", format=container.muxer) as target:
            copy = target.add_stream_from_template(stream)
            for packet in source.demux(stream):
                if packet.dts is None:  # the demuxer's last, empty packet
                    continue
                for frame in packet.decode():
                    samples += frame.samples
                    rate = frame.sample_rate
                if rate and samples / rate > limit:
                    raise TooLong(
                        "A voice recording may be at most {seconds} seconds long.", params={"seconds": MAX_SECONDS}
                    )
                packet.stream = copy
                target.mux(packet)
    seconds = samples / rate if rate else 0.0
    if seconds < MIN_SECONDS:
        raise NotAudio("The voice recording holds no sound; record it again.")
    return Prepared(out.getvalue(), container, round(seconds * 1000))


def store(session: AsyncSession, prepared: Prepared, uploaded_by: str | None, now: datetime) -> Recording:
    recording = Recording(
        id=str(uuid.uuid4()),
        case_id=None,
        uploaded_by=uploaded_by,
        container=prepared.container.name,
        duration_ms=prepared.duration_ms,
        size=len(prepared.content),
        content=prepared.content,
        uploaded_at=now,
    )
    session.add(recording)
    return recording


def content_type(container: str) -> str:
    return CONTAINERS[container].content_type


# --- attaching ------------------------------------------------------------------------------------------------


async def check_attachable(session: AsyncSession, recording_id: str | None, uploader: str | None) -> None:
    """The recording exists, was uploaded by `uploader` or anonymously (422 otherwise), and is on no case (409)."""
    if recording_id is None:
        return
    query = select(Recording.case_id, Recording.uploaded_by).where(Recording.id == recording_id)
    row = (await session.execute(query)).first()
    if row is None or row.uploaded_by not in (None, uploader):
        raise Unprocessable(
            "No voice recording {recording_id} of yours: upload it with POST /recordings.",
            params={"recording_id": recording_id},
            field="recording_id",
        )
    if row.case_id is not None:
        raise Conflict(
            "The voice recording {recording_id} belongs to another case already.",
            params={"recording_id": recording_id},
        )


async def attach(session: AsyncSession, case: Case, recording_id: str, now: datetime) -> None:
    """Attach a checked recording to a new case; one taken meanwhile by another case is 409."""
    claimed = await session.execute(
        update(Recording)
        .where(Recording.id == recording_id, Recording.case_id.is_(None))
        .values(case_id=case.id, attached_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "The voice recording {recording_id} belongs to another case already.",
            params={"recording_id": recording_id},
        )


async def forget_unattached(session: AsyncSession, before: datetime) -> int:
    """Delete uploads no case took before `before` (abandoned filings); returns how many."""
    gone = await session.execute(delete(Recording).where(Recording.case_id.is_(None), Recording.uploaded_at < before))
    return gone.rowcount or 0  # type: ignore[attr-defined]


async def forget(session: AsyncSession, case_ids: Sequence[str], uploader: str | None = None) -> int:
    """Delete the recordings of these cases (rows and bytes), and every upload of `uploader`."""
    conditions = [Recording.case_id.in_(case_ids)] if case_ids else []
    if uploader is not None:
        conditions.append(Recording.uploaded_by == uploader)
    if not conditions:
        return 0
    gone = await session.execute(delete(Recording).where(or_(*conditions)))
    return gone.rowcount or 0  # type: ignore[attr-defined]


# --- reading --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    case_id: str | None
    uploaded_by: str | None
    container: str
    content: bytes


async def load(session: AsyncSession, recording_id: str) -> Stored:
    query = select(Recording.case_id, Recording.uploaded_by, Recording.container, Recording.content).where(
        Recording.id == recording_id
    )
    row = (await session.execute(query)).first()
    if row is None:
        raise hidden()
    return Stored(row.case_id, row.uploaded_by, row.container, row.content)


def hidden() -> NotFound:
    """The one answer for a recording that is missing and for one the caller may not hear."""
    return NotFound("No such voice recording.")


async def authorize(
    session: AsyncSession,
    stored: Stored,
    principal: Principal | None,
    *,
    filer_key: str | None,
    tracking_code: str | None,
) -> None:
    """Exactly the readers of the case's photos (logic.photos.may_see); anyone else is told it does not exist."""
    if not await may_see(
        session, stored.case_id, stored.uploaded_by, principal, filer_key=filer_key, tracking_code=tracking_code
    ):
        raise hidden()
