"""Photos of a case: checked by content, re-encoded without metadata, stored with a thumbnail, attached once.

An upload is decoded by Pillow (JPEG, PNG, WebP, and HEIF where this Pillow reads it; never another
decoder), turned upright by its EXIF orientation, flattened onto white, copied into a fresh image (so no
EXIF, GPS, ICC profile or comment survives) and saved as JPEG with its longest side at most 2048 px, plus a
thumbnail of at most 320 px. The name the file had is never read.
"""

import hmac
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageOps
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import OPEN, Actor, CaseStatus, Who, require, standing_for_note
from services.case_intake.domain.tracking import key_matches, normalise_code
from services.case_intake.domain.wording import say
from services.case_intake.logic.access import may_read
from services.case_intake.logic.cases import get_case, now_of
from services.case_intake.logic.timeline import note
from services.case_intake.models import Case, Photo
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import PhotosBody
from shared import i18n
from shared.auth import Principal
from shared.errors import Conflict, NotFound, ProblemError, Unprocessable
from shared.i18n import N_

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
"""Larger images are refused before they are decoded (Pillow's decompression-bomb limit, warnings included)."""
LONGEST_SIDE = 2048
THUMBNAIL_SIDE = 320
FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
QUALITY = 85

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class NotAnImage(Unprocessable):
    slug, title = "not-an-image", "The file is not a usable image"


class TooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class NotMultipart(ProblemError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


@dataclass(frozen=True)
class Prepared:
    """The re-encoded photo and its thumbnail."""

    image: bytes
    thumbnail: bytes
    width: int
    height: int


def prepare(data: bytes) -> Prepared:
    """Decode an upload and re-encode it; NotAnImage for anything that is not a whole, sane-sized image."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise NotAnImage(
                    "The image has more than {value} million pixels.", params={"value": MAX_PIXELS // 1_000_000}
                )
            opened.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)  # a square: turning keeps it
            upright = ImageOps.exif_transpose(opened).convert("RGBA")
    except NotAnImage:
        raise
    except Exception as error:  # any decoder failure (not an image, truncated, a bomb) is the upload's fault
        raise NotAnImage("Send a JPEG, PNG or WebP photo; this file could not be read as one.") from error
    clean = Image.new("RGB", upright.size, "white")
    clean.paste(upright, mask=upright.getchannel("A"))
    small = clean.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return Prepared(_jpeg(clean), _jpeg(small), clean.width, clean.height)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


def store(session: AsyncSession, prepared: Prepared, uploaded_by: str | None, now: datetime) -> Photo:
    photo = Photo(
        id=str(uuid.uuid4()),
        case_id=None,
        uploaded_by=uploaded_by,
        width=prepared.width,
        height=prepared.height,
        size=len(prepared.image),
        image=prepared.image,
        thumbnail=prepared.thumbnail,
        uploaded_at=now,
        position=0,
    )
    session.add(photo)
    return photo


# --- attaching ------------------------------------------------------------------------------------------------


async def check_attachable(session: AsyncSession, photo_ids: Sequence[str], uploader: str | None) -> None:
    """Each photo exists, was uploaded by `uploader` or anonymously (422 otherwise), and is on no case (409)."""
    if not photo_ids:
        return
    query = select(Photo.id, Photo.case_id, Photo.uploaded_by).where(Photo.id.in_(photo_ids))
    found = {row.id: row for row in (await session.execute(query)).all()}
    for photo_id in photo_ids:
        row = found.get(photo_id)
        if row is None or row.uploaded_by not in (None, uploader):
            raise Unprocessable(
                "No photo {photo_id} of yours: upload it with POST /photos.",
                params={"photo_id": photo_id},
                field="photo_ids",
            )
        if row.case_id is not None:
            raise Conflict("The photo {photo_id} belongs to another case already.", params={"photo_id": photo_id})


async def attach(session: AsyncSession, case: Case, photo_ids: Sequence[str], now: datetime) -> None:
    """Attach checked photos to the case after those it has; a photo taken meanwhile by another case is 409."""
    count = select(func.count()).select_from(Photo).where(Photo.case_id == case.id)
    first = (await session.execute(count)).scalar_one()
    for offset, photo_id in enumerate(photo_ids):
        claimed = await session.execute(
            update(Photo)
            .where(Photo.id == photo_id, Photo.case_id.is_(None))
            .values(case_id=case.id, attached_at=now, position=first + offset)
        )
        if claimed.rowcount != 1:
            raise Conflict("The photo {photo_id} belongs to another case already.", params={"photo_id": photo_id})


async def forget_unattached(session: AsyncSession, before: datetime) -> int:
    """Delete uploads no case took before `before` (abandoned filings); returns how many."""
    gone = await session.execute(delete(Photo).where(Photo.case_id.is_(None), Photo.uploaded_at < before))
    return gone.rowcount or 0


# --- reading --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """What a read needs: whose it is, where it is attached, and the bytes asked for."""

    case_id: str | None
    uploaded_by: str | None
    content: bytes


async def load(session: AsyncSession, photo_id: str, *, thumbnail: bool) -> Stored:
    column = Photo.thumbnail if thumbnail else Photo.image
    query = select(Photo.case_id, Photo.uploaded_by, column.label("content")).where(Photo.id == photo_id)
    row = (await session.execute(query)).first()
    if row is None:
        raise hidden()
    return Stored(row.case_id, row.uploaded_by, row.content)


def hidden() -> NotFound:
    """The one answer for a photo that is missing and for one the caller may not see."""
    return NotFound("No such photo.")


# --- a case's photos ------------------------------------------------------------------------------------------


async def add_photos(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: PhotosBody) -> None:
    """Deputies handling the case or staff add photos (a field visit's evidence); a note on the timeline."""
    require(who, Actor.handler, Actor.staff, doing=N_("add photos to this case"))
    if case.status not in OPEN | {CaseStatus.resolved}:
        raise Conflict(
            "Photos are not added to a case that is {status}.",
            params={"status": i18n.code("case", case.status)},
            current_status=case.status,
        )
    photo_ids = data.photo_ids
    await check_attachable(session, photo_ids, who.subject)
    now = now_of(runtime)
    await attach(session, case, photo_ids, now)
    actor = standing_for_note(who, Actor.handler, Actor.staff)
    by = N_("a deputy") if actor is Actor.handler else N_("the office")
    words = say("{count} photo(s) added by {by}", count=len(photo_ids), by=by)
    await note(session, case, "photos", who, actor, words, now)


async def authorize_photo(
    session: AsyncSession,
    stored: Stored,
    principal: Principal | None,
    *,
    filer_key: str | None,
    tracking_code: str | None,
) -> None:
    """Whoever may read the photo's case (see `may_see`); anyone else is told it does not exist."""
    if not await may_see(
        session, stored.case_id, stored.uploaded_by, principal, filer_key=filer_key, tracking_code=tracking_code
    ):
        raise hidden()


async def may_see(
    session: AsyncSession,
    case_id: str | None,
    uploaded_by: str | None,
    principal: Principal | None,
    *,
    filer_key: str | None,
    tracking_code: str | None,
) -> bool:
    """Who may see what a case holds (its photos, its voice note): whoever may read the case (its tracking code
    or filer key does, as for the case); an upload no case took yet only its signed-in uploader."""
    if case_id is None:
        return principal is not None and uploaded_by == principal.subject
    case = await get_case(session, case_id)
    code = normalise_code(tracking_code)
    if code is not None and hmac.compare_digest(code, case.tracking_code):
        return True
    if key_matches(case.filer_key_hash, filer_key):
        return True
    return await may_read(session, case, principal) is not None
