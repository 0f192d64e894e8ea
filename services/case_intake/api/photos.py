"""Photos: upload one (multipart, read at most up to the cap), and read a photo or its thumbnail as whoever may
read its case. Adding photos to a case is an action (actions.py)."""

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from services.case_intake.api.common import CODE_WORDS, FilerKey, RuntimeDep
from services.case_intake.logic import photos
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import PhotoUploaded
from services.case_intake.views.photos import uploaded_model
from shared.auth import OptionalPrincipal, Principal
from shared.errors import NotFound, ProblemError, Unprocessable
from shared.problems import responses
from shared.service import OnceDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["case"])

MULTIPART_SLACK = 64 * 1024
"""Room for the multipart framing around a file of the largest size allowed."""
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary", "description": "JPEG, PNG or WebP"}},
            }
        }
    },
}
IMAGE_ANSWER = {
    200: {
        "description": "The photo (or its thumbnail) as JPEG",
        "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
    },
    **responses(401, 404, 422),
}
CACHE = "private, max-age=31536000, immutable"


class UploadFingerprint(BaseModel):
    """What the Idempotency-Key is checked against: the uploaded bytes."""

    sha256: str


@dataclass(frozen=True)
class Upload:
    """What an upload route takes and says: its cap, and its problems (made when needed)."""

    limit: int
    too_large: Callable[[], ProblemError]
    not_multipart: Callable[[], ProblemError]
    no_field: Callable[[], ProblemError]
    empty: Callable[[], ProblemError]


PHOTO = Upload(
    photos.MAX_UPLOAD_BYTES,
    lambda: photos.TooLarge(f"A photo may be at most {photos.MAX_UPLOAD_BYTES // (1024 * 1024)} MB."),
    lambda: photos.NotMultipart("Send the photo as multipart/form-data with one field named file."),
    lambda: Unprocessable("Send the photo in a multipart field named file.", field="file"),
    lambda: photos.NotAnImage("The file is empty."),
)


async def _capped(stream: AsyncIterator[bytes], limit: int, upload: Upload) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit:
            raise upload.too_large()
        yield chunk


async def uploaded_file(request: Request, upload: Upload) -> bytes:
    """The bytes of the one multipart field `file`, read at most up to the cap (413 past it)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "multipart/form-data":
        raise upload.not_multipart()
    limit = upload.limit + MULTIPART_SLACK
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise upload.too_large()
    parser = MultiPartParser(request.headers, _capped(request.stream(), limit, upload), max_files=1, max_fields=8)
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise Unprocessable(
            "The multipart body is not valid: {message}", params={"message": error.message}, field="file"
        ) from error
    try:
        field = form.get("file")
        if not isinstance(field, UploadFile):
            raise upload.no_field()
        data = await field.read(upload.limit + 1)
    finally:
        await form.close()
    if len(data) > upload.limit:
        raise upload.too_large()
    if not data:
        raise upload.empty()
    return data


@router.post(
    "/photos",
    operation_id="photo-upload",
    status_code=201,
    response_model=PhotoUploaded,
    responses=responses(401, 409, 413, 415, 422),
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload_photo(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: OptionalPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Upload one photo (field `file`, at most 10 MB), signed in or not, then name its id in `photo_ids` when
    filing. It is checked by its content, re-encoded as JPEG without metadata, and given a thumbnail."""
    data = await uploaded_file(request, PHOTO)
    async with runtime.decoding:
        prepared = await asyncio.to_thread(photos.prepare, data)
    uploader = principal.subject if principal else None

    async def create() -> PhotoUploaded:
        return uploaded_model(photos.store(session, prepared, uploader, runtime.clock.now()))

    fingerprint = UploadFingerprint(sha256=hashlib.sha256(data).hexdigest())
    scope = f"{uploader or 'anonymous'}:photo-upload"
    return await once(key=key, scope=scope, body=fingerprint, create=create, status_code=201)


async def _photo(
    session: AsyncSession,
    runtime: CaseRuntime,
    photo_id: str,
    principal: Principal | None,
    filer_key: str | None,
    tracking_code: str | None,
    *,
    thumbnail: bool,
) -> Response:
    try:
        stored = await photos.load(session, photo_id, thumbnail=thumbnail)
        await photos.authorize_photo(session, stored, principal, filer_key=filer_key, tracking_code=tracking_code)
    except NotFound:
        if tracking_code is not None:
            runtime.failed_lookups.failed("photo")
        raise
    return Response(stored.content, media_type="image/jpeg", headers={"Cache-Control": CACHE})


PhotoCode = Annotated[
    str | None, Query(description="For those who follow the case unsigned: its tracking code. " + CODE_WORDS)
]


@router.get("/photos/{photo_id}", operation_id="photo-get", response_class=Response, responses=IMAGE_ANSWER)
async def get_photo(
    photo_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: OptionalPrincipal,
    filer_key: FilerKey = None,
    tracking_code: PhotoCode = None,
) -> Response:
    """A photo, for whoever may read its case (or, not yet attached, for its uploader); 404 for anyone else."""
    return await _photo(session, runtime, photo_id, principal, filer_key, tracking_code, thumbnail=False)


@router.get(
    "/photos/{photo_id}/thumbnail", operation_id="photo-thumbnail", response_class=Response, responses=IMAGE_ANSWER
)
async def get_photo_thumbnail(
    photo_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: OptionalPrincipal,
    filer_key: FilerKey = None,
    tracking_code: PhotoCode = None,
) -> Response:
    """The photo's thumbnail (at most 320 px), for the same readers as the photo."""
    return await _photo(session, runtime, photo_id, principal, filer_key, tracking_code, thumbnail=True)
