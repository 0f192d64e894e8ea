"""Voice notes: upload one (multipart, read at most up to 2 MB), and hear it as whoever may see the case's photos.
A filing names it in `recording_id`."""

import asyncio
import hashlib

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from services.case_intake.api.common import FilerKey, RuntimeDep
from services.case_intake.api.photos import CACHE, PhotoCode, Upload, UploadFingerprint, uploaded_file
from services.case_intake.logic import photos, recordings
from services.case_intake.schemas import RecordingUploaded
from services.case_intake.views.recordings import uploaded_model
from shared.auth import OptionalPrincipal
from shared.errors import NotFound, Unprocessable
from shared.problems import responses
from shared.service import OnceDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["case"])

RECORDING = Upload(
    recordings.MAX_UPLOAD_BYTES,
    lambda: recordings.TooLarge("A voice recording may be at most 2 MB."),
    lambda: photos.NotMultipart("Send the voice recording as multipart/form-data with one field named file."),
    lambda: Unprocessable("Send the voice recording in a multipart field named file.", field="file"),
    lambda: recordings.NotAudio("The file is empty."),
)
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "WebM or Ogg with Opus, or MP4/M4A with AAC; at most 60 s and 2 MB",
                    }
                },
            }
        }
    },
}
AUDIO_ANSWER = {
    200: {
        "description": "The voice note, in the container it was sent in (copied without tags)",
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}}
            for kind in ("audio/webm", "audio/ogg", "audio/mp4")
        },
    },
    **responses(401, 404, 422),
}


@router.post(
    "/recordings",
    operation_id="recording-upload",
    status_code=201,
    response_model=RecordingUploaded,
    responses=responses(401, 409, 413, 415, 422),
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload_recording(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: OptionalPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Upload one voice note (field `file`), signed in or not, then name its id in `recording_id` when filing.
    It is checked by its content — a WebM or Ogg file with one Opus stream, or an MP4 with one AAC stream, at
    most 60 seconds and 2 MB; the name and type it is sent with are not read — and copied without its tags."""
    data = await uploaded_file(request, RECORDING)
    async with runtime.decoding:
        prepared = await asyncio.to_thread(recordings.prepare, data)
    uploader = principal.subject if principal else None

    async def create() -> RecordingUploaded:
        return uploaded_model(recordings.store(session, prepared, uploader, runtime.clock.now()))

    fingerprint = UploadFingerprint(sha256=hashlib.sha256(data).hexdigest())
    scope = f"{uploader or 'anonymous'}:recording-upload"
    return await once(key=key, scope=scope, body=fingerprint, create=create, status_code=201)


@router.get("/recordings/{recording_id}", operation_id="recording-get", response_class=Response, responses=AUDIO_ANSWER)
async def get_recording(
    recording_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: OptionalPrincipal,
    filer_key: FilerKey = None,
    tracking_code: PhotoCode = None,
) -> Response:
    """A voice note, for exactly those who may see the case's photos (or, not yet attached, its signed-in
    uploader); 404 for anyone else."""
    try:
        stored = await recordings.load(session, recording_id)
        await recordings.authorize(session, stored, principal, filer_key=filer_key, tracking_code=tracking_code)
    except NotFound:
        if tracking_code is not None:
            runtime.failed_lookups.failed("photo")
        raise
    media_type = recordings.content_type(stored.container)
    return Response(stored.content, media_type=media_type, headers={"Cache-Control": CACHE})
