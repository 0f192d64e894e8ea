"""Routes only: parse, authorise, call the rules, shape the answer."""

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from services.case_intake import board, logic, mediation, organisations, photos, reference, referrals, statistics
from services.case_intake.logic import Who
from services.case_intake.models import Case, tables
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import (
    AnswerBody,
    BoardCase,
    BoardStats,
    CaseCreate,
    CaseCreated,
    CaseKind,
    CaseNoteCreate,
    CaseRead,
    CaseStatistics,
    CaseStatus,
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    ConfirmationBody,
    ConfirmBody,
    ContactRead,
    DispatchBody,
    ExtendBody,
    HolidayRead,
    HolidaySet,
    MediationCreate,
    MediationRead,
    MergeBody,
    NoteBody,
    OrganisationCreate,
    OrganisationKind,
    OrganisationRead,
    OrganisationUpdate,
    OutOfScopeRead,
    PerformanceBody,
    PhotosBody,
    PhotoUploaded,
    ReasonBody,
    ReferBody,
    ReferralRead,
    RejectBody,
    ResolveBody,
    ReturnVisitBody,
    SendBackBody,
    SimilarCase,
    SortOrder,
    SupportCreate,
    SupportRead,
    WithdrawBody,
)
from shared.auth import CurrentPrincipal, OptionalPrincipal, Principal, Role
from shared.errors import Unprocessable
from shared.messaging.idempotency import run_idempotent
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import SessionDep, get_runtime
from shared.types import TRACKING_CODE_PATTERN, CivilDate, Code, EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["case"])
RuntimeDep = Annotated[CaseRuntime, Depends(get_runtime)]
TrackingCode = Annotated[str, Path(pattern=TRACKING_CODE_PATTERN)]
FilerKey = Annotated[
    str,
    Header(alias="X-Filer-Key", pattern=r"^[A-Za-z0-9_-]{16,64}$", description="The key the filing answer gave"),
]
Day = Annotated[CivilDate, Path()]
ACTION_ERRORS = responses(401, 403, 404, 409, 422)
STAFF = (Role.station_staff, Role.npc_office)

Act = Callable[[Case, Who], Awaitable[object]]


async def _act(
    session: SessionDep,
    principal: Principal,
    case_id: str,
    key: str | None,
    body: BaseModel,
    action: str,
    do: Act,
    status_code: int = 200,
):  # type: ignore[no-untyped-def]
    """Lock the case, find the caller's standing, do the action, answer with the case (idempotent by key)."""

    async def run() -> CaseRead:
        case = await logic.get_case(session, case_id, for_update=True)
        standing = await logic.who(session, case, principal)
        await do(case, standing)
        await session.flush()
        return await _shaped(session, case, principal, standing)

    scope = f"{principal.subject}:case-{action}:{case_id}"
    return await run_idempotent(
        session, tables.idempotency, key=key, scope=scope, body=body, create=run, status_code=status_code
    )


async def _shaped(session: SessionDep, case: Case, principal: Principal, standing: Who) -> CaseRead:
    """The case as this signed-in caller sees it: the contact for those who call back, notes for officials."""
    internal = logic.sees_internal(principal)
    return await logic.read_model(session, case, contact_visible=standing.sees_contact, internal=internal)


async def _filer_act(
    session: SessionDep, code: str, filer_key: str | None, key: str | None, body: BaseModel, action: str, do: Act
):  # type: ignore[no-untyped-def]
    async def run() -> CaseRead:
        case, standing = await logic.filer_by_key(session, code, filer_key)
        await do(case, standing)
        await session.flush()
        return await logic.read_model(session, case, contact_visible=True)

    scope = f"filer:{code}:case-{action}"
    return await run_idempotent(
        session, tables.idempotency, key=key, scope=scope, body=body, create=run, status_code=200
    )


# --- filing and reading -----------------------------------------------------------------------------------------


@router.post(
    "/cases",
    operation_id="case-submit",
    status_code=201,
    response_model=CaseCreated,
    responses=responses(401, 403, 409, 422, 503),
)
async def submit_case(
    body: CaseCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: OptionalPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """File a case, signed in or anonymously; the answer's tracking code follows it without an account.

    Give the group grid, or the `location` (the grid service finds its grid: 503 with Retry-After while it
    cannot, and nothing is stored), or both."""
    grid_id = await logic.place(runtime, body)

    async def create() -> CaseCreated:
        filed, filer_key = await logic.submit_case(session, runtime, body, principal, grid_id)
        return logic.created_model(filed, filer_key)

    scope = f"{principal.subject if principal else 'anonymous'}:case-submit"
    return await run_idempotent(session, tables.idempotency, key=key, scope=scope, body=body, create=create)


@router.get("/cases", operation_id="case-list", response_model=Page[CaseRead], responses=responses(401, 422))
async def list_cases(
    session: SessionDep,
    runtime: RuntimeDep,
    page: PageDep,
    principal: CurrentPrincipal,
    status: CaseStatus | None = None,
    grid_id: EntityId | None = None,
    kind: CaseKind | None = None,
    category: Code | None = None,
    overdue: bool | None = None,
    sort: SortOrder = SortOrder.newest,
) -> Page[CaseRead]:
    """The caller's cases: own and supported, routed to them or in their grids, referred to their organisation;
    all of them for the office. `sort=due` puts the nearest deadline first; `overdue=true` the late ones."""
    items, total = await logic.list_cases(
        session,
        principal,
        page,
        status=status,
        grid_id=grid_id,
        kind=kind,
        category=category,
        overdue=overdue,
        now=runtime.clock.now(),
        sort=sort,
    )
    shaped = [await _shaped(session, item, principal, await logic.who(session, item, principal)) for item in items]
    return Page(items=shaped, total=total, **page.model_dump())


@router.get("/cases/similar", operation_id="case-similar", response_model=Page[SimilarCase], responses=responses(422))
async def similar_cases(session: SessionDep, page: PageDep, grid_id: EntityId, category: Code) -> Page[SimilarCase]:
    """Open cases of the same grid and category, to say "me too" (POST /cases/{id}/support) instead of filing."""
    items, total = await logic.similar_cases(session, page, grid_id=grid_id, category=category)
    return Page(items=items, total=total, **page.model_dump())


@router.get(
    "/cases/track/{tracking_code}", operation_id="case-track", response_model=CaseRead, responses=responses(404, 422)
)
async def track_case(tracking_code: TrackingCode, session: SessionDep) -> CaseRead:
    """Follow a case by its tracking code, without an account (no contact details are shown)."""
    case = await logic.get_case_by_tracking_code(session, tracking_code)
    return await logic.read_model(session, case, by_code=True)


@router.post(
    "/cases/track/{tracking_code}/confirm",
    operation_id="case-track-confirm",
    response_model=CaseRead,
    responses=responses(403, 404, 409, 422),
)
async def confirm_by_code(
    tracking_code: TrackingCode,
    body: ConfirmBody,
    session: SessionDep,
    runtime: RuntimeDep,
    filer_key: FilerKey = None,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """The anonymous filer says it is solved and rates it."""

    async def do(case: Case, standing: Who) -> None:
        await logic.confirm(session, runtime, case, standing, body)

    return await _filer_act(session, tracking_code, filer_key, key, body, "confirm", do)


@router.post(
    "/cases/track/{tracking_code}/reopen",
    operation_id="case-track-reopen",
    response_model=CaseRead,
    responses=responses(403, 404, 409, 422),
)
async def reopen_by_code(
    tracking_code: TrackingCode,
    body: ReasonBody,
    session: SessionDep,
    runtime: RuntimeDep,
    filer_key: FilerKey = None,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """The anonymous filer says it is not solved."""

    async def do(case: Case, standing: Who) -> None:
        await logic.reopen(session, runtime, case, standing, body.reason)

    return await _filer_act(session, tracking_code, filer_key, key, body, "reopen", do)


@router.post(
    "/cases/track/{tracking_code}/withdraw",
    operation_id="case-track-withdraw",
    response_model=CaseRead,
    responses=responses(403, 404, 409, 422),
)
async def withdraw_by_code(
    tracking_code: TrackingCode,
    session: SessionDep,
    runtime: RuntimeDep,
    body: WithdrawBody = WithdrawBody(),  # noqa: B008
    filer_key: FilerKey = None,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """The anonymous filer withdraws the case."""

    async def do(case: Case, standing: Who) -> None:
        await logic.withdraw(session, runtime, case, standing, body.reason)

    return await _filer_act(session, tracking_code, filer_key, key, body, "withdraw", do)


@router.get(
    "/cases/{case_id}", operation_id="case-get", response_model=CaseRead, responses=responses(401, 403, 404, 422)
)
async def get_case(case_id: EntityId, session: SessionDep, principal: CurrentPrincipal) -> CaseRead:
    case = await logic.get_case(session, case_id)
    return await _shaped(session, case, principal, await logic.authorize_read(session, case, principal))


@router.get(
    "/cases/{case_id}/contact",
    operation_id="case-contact",
    response_model=ContactRead,
    responses=responses(401, 403, 404, 422),
)
async def get_contact(case_id: EntityId, session: SessionDep, principal: CurrentPrincipal) -> ContactRead:
    """The villager's phone and name, for the deputies handling the case and the office only."""
    case = await logic.get_case(session, case_id)
    return await logic.contact(session, case, await logic.who(session, case, principal))


# --- photos ---------------------------------------------------------------------------------------------------

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


async def _capped(stream: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit:
            raise photos.TooLarge(f"A photo may be at most {photos.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
        yield chunk


async def _uploaded_file(request: Request) -> bytes:
    """The bytes of the one multipart field `file`, read at most up to the cap (413 past it)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "multipart/form-data":
        raise photos.NotMultipart("Send the photo as multipart/form-data with one field named file.")
    limit = photos.MAX_UPLOAD_BYTES + MULTIPART_SLACK
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise photos.TooLarge(f"A photo may be at most {photos.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    parser = MultiPartParser(request.headers, _capped(request.stream(), limit), max_files=1, max_fields=8)
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise Unprocessable(f"The multipart body is not valid: {error.message}", field="file") from error
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Unprocessable("Send the photo in a multipart field named file.", field="file")
        data = await upload.read(photos.MAX_UPLOAD_BYTES + 1)
    finally:
        await form.close()
    if len(data) > photos.MAX_UPLOAD_BYTES:
        raise photos.TooLarge(f"A photo may be at most {photos.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise photos.NotAnImage("The file is empty.")
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
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Upload one photo (field `file`, at most 10 MB), signed in or not, then name its id in `photo_ids` when
    filing. It is checked by its content, re-encoded as JPEG without metadata, and given a thumbnail."""
    data = await _uploaded_file(request)
    async with runtime.decoding:
        prepared = await asyncio.to_thread(photos.prepare, data)
    uploader = principal.subject if principal else None

    async def create() -> PhotoUploaded:
        return photos.uploaded_model(photos.store(session, prepared, uploader, runtime.clock.now()))

    fingerprint = UploadFingerprint(sha256=hashlib.sha256(data).hexdigest())
    scope = f"{uploader or 'anonymous'}:photo-upload"
    return await run_idempotent(session, tables.idempotency, key=key, scope=scope, body=fingerprint, create=create)


async def _photo(
    session: SessionDep,
    photo_id: str,
    principal: Principal | None,
    filer_key: str | None,
    tracking_code: str | None,
    *,
    thumbnail: bool,
) -> Response:
    stored = await photos.load(session, photo_id, thumbnail=thumbnail)
    await logic.authorize_photo(session, stored, principal, filer_key=filer_key, tracking_code=tracking_code)
    return Response(stored.content, media_type="image/jpeg", headers={"Cache-Control": CACHE})


PhotoCode = Annotated[
    str | None,
    Query(pattern=TRACKING_CODE_PATTERN, description="The case's tracking code, for those who follow it unsigned"),
]


@router.get("/photos/{photo_id}", operation_id="photo-get", response_class=Response, responses=IMAGE_ANSWER)
async def get_photo(
    photo_id: EntityId,
    session: SessionDep,
    principal: OptionalPrincipal,
    filer_key: FilerKey = None,
    tracking_code: PhotoCode = None,
) -> Response:
    """A photo, for whoever may read its case (or, not yet attached, for its uploader); 404 for anyone else."""
    return await _photo(session, photo_id, principal, filer_key, tracking_code, thumbnail=False)


@router.get(
    "/photos/{photo_id}/thumbnail", operation_id="photo-thumbnail", response_class=Response, responses=IMAGE_ANSWER
)
async def get_photo_thumbnail(
    photo_id: EntityId,
    session: SessionDep,
    principal: OptionalPrincipal,
    filer_key: FilerKey = None,
    tracking_code: PhotoCode = None,
) -> Response:
    """The photo's thumbnail (at most 320 px), for the same readers as the photo."""
    return await _photo(session, photo_id, principal, filer_key, tracking_code, thumbnail=True)


@router.post("/cases/{case_id}/photos", operation_id="case-photos", response_model=CaseRead, responses=ACTION_ERRORS)
async def add_case_photos(
    case_id: EntityId,
    body: PhotosBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """A deputy handling the case or staff add up to 3 photos (e.g. a field visit's evidence) at a time."""

    async def do(case: Case, standing: Who) -> None:
        await logic.add_photos(session, runtime, case, standing, body.photo_ids)

    return await _act(session, principal, case_id, key, body, "photos", do)


@router.post(
    "/cases/{case_id}/notes",
    operation_id="case-note",
    status_code=201,
    response_model=CaseRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def add_case_note(
    case_id: EntityId,
    body: CaseNoteCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """An internal note on the timeline (action `note`), the status unchanged: by the deputies handling the case
    and the office, seen by deputies and the office only — never by the villager, on the tracking-code view or
    by the agencies it went to."""

    async def do(case: Case, standing: Who) -> None:
        await logic.add_note(session, runtime, case, standing, body.note)

    return await _act(session, principal, case_id, key, body, "note", do, status_code=201)


# --- the lifecycle ----------------------------------------------------------------------------------------------


@router.post("/cases/{case_id}/accept", operation_id="case-accept", response_model=CaseRead, responses=ACTION_ERRORS)
async def accept_case(
    case_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    body: NoteBody = NoteBody(),  # noqa: B008
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """A deputy it is routed to (or the office) takes the case on; the resolve clock runs."""

    async def do(case: Case, standing: Who) -> None:
        await logic.accept(session, runtime, case, standing, body.note)

    return await _act(session, principal, case_id, key, body, "accept", do)


@router.post("/cases/{case_id}/start", operation_id="case-start", response_model=CaseRead, responses=ACTION_ERRORS)
async def start_case(
    case_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    body: NoteBody = NoteBody(),  # noqa: B008
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Work on the case started (a visit, a call, a look at the place)."""

    async def do(case: Case, standing: Who) -> None:
        await logic.start(session, runtime, case, standing, body.note)

    return await _act(session, principal, case_id, key, body, "start", do)


@router.post("/cases/{case_id}/refer", operation_id="case-refer", response_model=CaseRead, responses=ACTION_ERRORS)
async def refer_case(
    case_id: EntityId,
    body: ReferBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Refer the case to an organisation of the four parties (四方联动) for an answer by a due date."""

    async def do(case: Case, standing: Who) -> None:
        await referrals.refer(session, runtime, case, standing, body)

    return await _act(session, principal, case_id, key, body, "refer", do)


@router.post("/cases/{case_id}/mediate", operation_id="case-mediate", response_model=CaseRead, responses=ACTION_ERRORS)
async def mediate_case(
    case_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    body: NoteBody = NoteBody(),  # noqa: B008
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Begin people's mediation of a dispute."""

    async def do(case: Case, standing: Who) -> None:
        await logic.mediate(session, runtime, case, standing, body.note)

    return await _act(session, principal, case_id, key, body, "mediate", do)


@router.post("/cases/{case_id}/resolve", operation_id="case-resolve", response_model=CaseRead, responses=ACTION_ERRORS)
async def resolve_case(
    case_id: EntityId,
    body: ResolveBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Say what was done; the villager confirms or reopens."""

    async def do(case: Case, standing: Who) -> None:
        await logic.resolve(session, runtime, case, standing, body.resolution)

    return await _act(session, principal, case_id, key, body, "resolve", do)


@router.post("/cases/{case_id}/confirm", operation_id="case-confirm", response_model=CaseRead, responses=ACTION_ERRORS)
async def confirm_case(
    case_id: EntityId,
    body: ConfirmBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """The filer closes the resolved case and rates it; staff do so on a return visit (回访)."""

    async def do(case: Case, standing: Who) -> None:
        await logic.confirm(session, runtime, case, standing, body)

    return await _act(session, principal, case_id, key, body, "confirm", do)


@router.post(
    "/cases/{case_id}/return-visit", operation_id="case-return-visit", response_model=CaseRead, responses=ACTION_ERRORS
)
async def record_return_visit(
    case_id: EntityId,
    body: ReturnVisitBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Station staff or the office record a return visit (回访) to a villager who cannot use the app: confirmed
    closes the resolved case with the villager's rating, reopened sends it back to work."""

    async def do(case: Case, standing: Who) -> None:
        await logic.return_visit(session, runtime, case, standing, body)

    return await _act(session, principal, case_id, key, body, "return-visit", do)


@router.get(
    "/return-visits/due",
    operation_id="return-visit-due",
    response_model=Page[CaseRead],
    responses=responses(401, 403, 422),
)
async def return_visits_due(
    session: SessionDep, runtime: RuntimeDep, page: PageDep, principal: CurrentPrincipal
) -> Page[CaseRead]:
    """For staff: resolved cases waiting for the villager's word, oldest first — those filed on a villager's
    behalf at once, the others once CASE_RETURN_VISIT_DAYS passed without a rating."""
    principal.require(*STAFF)
    items, total = await logic.return_visits_due(session, runtime, page)
    shaped = [await logic.read_model(session, item, contact_visible=True, internal=True) for item in items]
    return Page(items=shaped, total=total, **page.model_dump())


@router.post("/cases/{case_id}/reopen", operation_id="case-reopen", response_model=CaseRead, responses=ACTION_ERRORS)
async def reopen_case(
    case_id: EntityId,
    body: ReasonBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Not solved: the filer reopens a resolved case; the office reopens a closed one to be redone (重办)."""

    async def do(case: Case, standing: Who) -> None:
        await logic.reopen(session, runtime, case, standing, body.reason)

    return await _act(session, principal, case_id, key, body, "reopen", do)


@router.post("/cases/{case_id}/return", operation_id="case-return", response_model=CaseRead, responses=ACTION_ERRORS)
async def return_case(
    case_id: EntityId,
    body: ReasonBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """A wrongly assigned case goes back to the office (退单), with a reason, within the return window."""

    async def do(case: Case, standing: Who) -> None:
        await logic.return_case(session, runtime, case, standing, body.reason)

    return await _act(session, principal, case_id, key, body, "return", do)


@router.post(
    "/cases/{case_id}/dispatch", operation_id="case-dispatch", response_model=CaseRead, responses=ACTION_ERRORS
)
async def dispatch_case(
    case_id: EntityId,
    body: DispatchBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """The office sends a returned or unrouted case to another grid's deputies or to named deputies."""

    async def do(case: Case, standing: Who) -> None:
        await logic.dispatch(session, runtime, case, standing, body)

    return await _act(session, principal, case_id, key, body, "dispatch", do)


@router.post(
    "/cases/{case_id}/withdraw", operation_id="case-withdraw", response_model=CaseRead, responses=ACTION_ERRORS
)
async def withdraw_case(
    case_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    body: WithdrawBody = WithdrawBody(),  # noqa: B008
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """The filer withdraws the case (or the office, at their request)."""

    async def do(case: Case, standing: Who) -> None:
        await logic.withdraw(session, runtime, case, standing, body.reason)

    return await _act(session, principal, case_id, key, body, "withdraw", do)


@router.post("/cases/{case_id}/reject", operation_id="case-reject", response_model=CaseRead, responses=ACTION_ERRORS)
async def reject_case(
    case_id: EntityId,
    body: RejectBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Not taken up, with a reason the villager sees; out-of-scope matters say where to go instead."""

    async def do(case: Case, standing: Who) -> None:
        await logic.reject(session, runtime, case, standing, body)

    return await _act(session, principal, case_id, key, body, "reject", do)


@router.post("/cases/{case_id}/merge", operation_id="case-merge", response_model=CaseRead, responses=ACTION_ERRORS)
async def merge_case(
    case_id: EntityId,
    body: MergeBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """The office merges a duplicate into another case; its filer and supporters become that case's supporters."""

    async def do(case: Case, standing: Who) -> None:
        target = await logic.get_case(session, body.into_case_id, for_update=True)
        await logic.merge(session, runtime, case, target, standing, body)

    return await _act(session, principal, case_id, key, body, "merge", do)


@router.post(
    "/cases/{case_id}/escalate", operation_id="case-escalate", response_model=CaseRead, responses=ACTION_ERRORS
)
async def escalate_case(
    case_id: EntityId,
    body: ReasonBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """督办 by the office: to the township grid head, then to the NPC office (the scheduler does it when late)."""

    async def do(case: Case, standing: Who) -> None:
        await logic.escalate(session, runtime, case, standing, body.reason)

    return await _act(session, principal, case_id, key, body, "escalate", do)


@router.post("/cases/{case_id}/extend", operation_id="case-extend", response_model=CaseRead, responses=ACTION_ERRORS)
async def extend_case(
    case_id: EntityId,
    body: ExtendBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """The one extension of the resolve deadline, asked before it passes."""

    async def do(case: Case, standing: Who) -> None:
        await logic.extend(session, runtime, case, standing, body)

    return await _act(session, principal, case_id, key, body, "extend", do)


@router.post(
    "/cases/{case_id}/support",
    operation_id="case-support",
    status_code=201,
    response_model=SupportRead,
    responses=responses(401, 404, 409, 422),
)
async def support_case(
    case_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: OptionalPrincipal,
    body: SupportCreate = SupportCreate(),  # noqa: B008
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """ "Me too": add yourself (signed in or not) as a supporter of an open case instead of filing it again."""

    async def create() -> SupportRead:
        case = await logic.get_case(session, case_id, for_update=True)
        return SupportRead(
            case_id=case.id, supporters=await logic.support(session, runtime, case, principal, body.note)
        )

    scope = f"{principal.subject if principal else 'anonymous'}:case-support:{case_id}"
    return await run_idempotent(session, tables.idempotency, key=key, scope=scope, body=body, create=create)


# --- referrals ------------------------------------------------------------------------------------------------


@router.get(
    "/cases/{case_id}/referrals",
    operation_id="case-referrals",
    response_model=Page[ReferralRead],
    responses=responses(401, 403, 404, 422),
)
async def case_referrals(
    case_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal
) -> Page[ReferralRead]:
    case = await logic.get_case(session, case_id)
    await logic.authorize_read(session, case, principal)
    items, total = await referrals.list_referrals(session, principal, page, case_id=case.id)
    return Page(items=[ReferralRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.get(
    "/referrals", operation_id="referral-list", response_model=Page[ReferralRead], responses=responses(401, 403, 422)
)
async def list_referrals(
    session: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    status: Annotated[str | None, Query(pattern="^(open|answered|accepted|cancelled)$")] = None,
) -> Page[ReferralRead]:
    """An officer's inbox: the referrals to their organisation, the earliest due first."""
    items, total = await referrals.list_referrals(session, principal, page, status=status)
    return Page(items=[ReferralRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.get(
    "/referrals/{referral_id}",
    operation_id="referral-get",
    response_model=ReferralRead,
    responses=responses(401, 403, 404, 422),
)
async def get_referral(referral_id: EntityId, session: SessionDep, principal: CurrentPrincipal) -> ReferralRead:
    referral = await referrals.get_referral(session, referral_id)
    await referrals.authorize_read(session, referral, principal)
    return ReferralRead.model_validate(referral)


@router.post(
    "/referrals/{referral_id}/answer",
    operation_id="referral-answer",
    response_model=ReferralRead,
    responses=ACTION_ERRORS,
)
async def answer_referral(
    referral_id: EntityId,
    body: AnswerBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """The organisation's officer answers."""

    async def run() -> ReferralRead:
        referral = await referrals.get_referral(session, referral_id, for_update=True)
        return ReferralRead.model_validate(await referrals.answer(session, runtime, referral, principal, body))

    scope = f"{principal.subject}:referral-answer:{referral_id}"
    return await run_idempotent(
        session, tables.idempotency, key=key, scope=scope, body=body, create=run, status_code=200
    )


async def _decide(
    session: SessionDep, principal: Principal, referral_id: str, key: str | None, body: BaseModel, action: str, do
):  # type: ignore[no-untyped-def]
    async def run() -> ReferralRead:
        referral = await referrals.get_referral(session, referral_id, for_update=True)
        case = await logic.get_case(session, referral.case_id, for_update=True)
        await do(referral, case, await logic.who(session, case, principal))
        await session.flush()
        return ReferralRead.model_validate(referral)

    scope = f"{principal.subject}:referral-{action}:{referral_id}"
    return await run_idempotent(
        session, tables.idempotency, key=key, scope=scope, body=body, create=run, status_code=200
    )


@router.post(
    "/referrals/{referral_id}/accept",
    operation_id="referral-accept",
    response_model=ReferralRead,
    responses=ACTION_ERRORS,
)
async def accept_referral_answer(
    referral_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    body: NoteBody = NoteBody(),  # noqa: B008
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """The deputy accepts the answer: the case goes back to work, to be resolved."""

    async def do(referral, case: Case, standing: Who) -> None:  # type: ignore[no-untyped-def]
        await referrals.accept_answer(session, runtime, referral, case, standing, body)

    return await _decide(session, principal, referral_id, key, body, "accept", do)


@router.post(
    "/referrals/{referral_id}/send-back",
    operation_id="referral-send-back",
    response_model=ReferralRead,
    responses=ACTION_ERRORS,
)
async def send_referral_back(
    referral_id: EntityId,
    body: SendBackBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """The answer is not enough: the organisation gets it back with a reason and a new due date."""

    async def do(referral, case: Case, standing: Who) -> None:  # type: ignore[no-untyped-def]
        await referrals.send_back(session, runtime, referral, case, standing, body)

    return await _decide(session, principal, referral_id, key, body, "send-back", do)


# --- mediation ------------------------------------------------------------------------------------------------


@router.get(
    "/cases/{case_id}/mediations",
    operation_id="mediation-list",
    response_model=Page[MediationRead],
    responses=responses(401, 403, 404, 422),
)
async def list_mediations(
    case_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal
) -> Page[MediationRead]:
    case = await logic.get_case(session, case_id)
    items, total = await mediation.list_sessions(session, case, await logic.who(session, case, principal), page)
    return Page(items=[mediation.read_model(item) for item in items], total=total, **page.model_dump())


@router.post(
    "/cases/{case_id}/mediations",
    operation_id="mediation-record",
    status_code=201,
    response_model=MediationRead,
    responses=ACTION_ERRORS,
)
async def record_mediation(
    case_id: EntityId,
    body: MediationCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Record a mediation session: the parties, mediators, the record and any agreement (调解协议书)."""

    async def create() -> MediationRead:
        case = await logic.get_case(session, case_id, for_update=True)
        standing = await logic.who(session, case, principal)
        return mediation.read_model(await mediation.record_session(session, runtime, case, standing, body))

    scope = f"{principal.subject}:mediation-record:{case_id}"
    return await run_idempotent(session, tables.idempotency, key=key, scope=scope, body=body, create=create)


async def _follow_up(session: SessionDep, principal: Principal, case_id: str, mediation_id: str, do):  # type: ignore[no-untyped-def]
    case = await logic.get_case(session, case_id, for_update=True)
    found = await mediation.get_session(session, case, mediation_id)
    result = await do(case, found, await logic.who(session, case, principal))
    read = mediation.read_model(result)
    await session.commit()
    return read


@router.post(
    "/cases/{case_id}/mediations/{mediation_id}/performance",
    operation_id="mediation-performance",
    response_model=MediationRead,
    responses=ACTION_ERRORS,
)
async def record_performance(
    case_id: EntityId,
    mediation_id: EntityId,
    body: PerformanceBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> MediationRead:
    """The follow-up: was the agreement carried out? (Setting it twice keeps the latest answer.)"""

    async def do(case, found, standing):  # type: ignore[no-untyped-def]
        return await mediation.record_performance(session, runtime, case, found, standing, body)

    return await _follow_up(session, principal, case_id, mediation_id, do)


@router.post(
    "/cases/{case_id}/mediations/{mediation_id}/confirmation",
    operation_id="mediation-confirmation",
    response_model=MediationRead,
    responses=ACTION_ERRORS,
)
async def record_confirmation(
    case_id: EntityId,
    mediation_id: EntityId,
    body: ConfirmationBody,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> MediationRead:
    """Both parties applied to the court for judicial confirmation (司法确认) within 30 days."""

    async def do(case, found, standing):  # type: ignore[no-untyped-def]
        return await mediation.record_confirmation(session, runtime, case, found, standing, body)

    return await _follow_up(session, principal, case_id, mediation_id, do)


# --- reference data -------------------------------------------------------------------------------------------


@router.get("/categories", operation_id="category-list", response_model=Page[CategoryRead], responses=responses(422))
async def list_categories(
    session: SessionDep, page: PageDep, kind: CaseKind | None = None, include_inactive: bool = False
) -> Page[CategoryRead]:
    """The categories a case may name (dispute types for disputes), in display order."""
    items, total = await reference.list_categories(session, page, kind=kind, include_inactive=include_inactive)
    return Page(items=[CategoryRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.post(
    "/categories",
    operation_id="category-create",
    status_code=201,
    response_model=CategoryRead,
    responses=responses(401, 403, 409, 422),
)
async def create_category(
    body: CategoryCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    principal.require(*STAFF)

    async def create() -> CategoryRead:
        return CategoryRead.model_validate(await reference.create_category(session, body))

    scope = f"{principal.subject}:category-create"
    try:
        return await run_idempotent(session, tables.idempotency, key=key, scope=scope, body=body, create=create)
    finally:
        runtime.reference.invalidate()


@router.patch(
    "/categories/{code}",
    operation_id="category-update",
    response_model=CategoryRead,
    responses=responses(401, 403, 404, 422),
)
async def update_category(
    code: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,40}$")],
    body: CategoryUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> CategoryRead:
    """Relabel a category, change its resolve deadline or kinds, or retire it (`active: false`)."""
    principal.require(*STAFF)
    read = CategoryRead.model_validate(await reference.update_category(session, code, body))
    await session.commit()
    runtime.reference.invalidate()
    return read


OrganisationCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]


@router.get(
    "/organisations", operation_id="organisation-list", response_model=Page[OrganisationRead], responses=responses(422)
)
async def list_organisations(
    session: SessionDep, page: PageDep, kind: OrganisationKind | None = None, include_inactive: bool = False
) -> Page[OrganisationRead]:
    """The organisations a case may be referred to (四方联动), in display order; `code` goes in a referral."""
    items, total = await organisations.list_organisations(session, page, kind=kind, include_inactive=include_inactive)
    return Page(items=[OrganisationRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.post(
    "/organisations",
    operation_id="organisation-create",
    status_code=201,
    response_model=OrganisationRead,
    responses=responses(401, 403, 409, 422),
)
async def create_organisation(
    body: OrganisationCreate, session: SessionDep, principal: CurrentPrincipal, key: IdempotencyKeyHeader = None
):  # type: ignore[no-untyped-def]
    """Add an organisation to refer cases to; its code must be what its officers' accounts name."""
    principal.require(*STAFF)

    async def create() -> OrganisationRead:
        return OrganisationRead.model_validate(await organisations.create_organisation(session, body))

    scope = f"{principal.subject}:organisation-create"
    return await run_idempotent(session, tables.idempotency, key=key, scope=scope, body=body, create=create)


@router.patch(
    "/organisations/{code}",
    operation_id="organisation-update",
    response_model=OrganisationRead,
    responses=responses(401, 403, 404, 422),
)
async def update_organisation(
    code: OrganisationCode, body: OrganisationUpdate, session: SessionDep, principal: CurrentPrincipal
) -> OrganisationRead:
    """Rename an organisation, change its kind or place in the list, or retire it (`active: false`)."""
    principal.require(*STAFF)
    read = OrganisationRead.model_validate(await organisations.update_organisation(session, code, body))
    await session.commit()
    return read


@router.get("/holidays", operation_id="holiday-list", response_model=Page[HolidayRead], responses=responses(422))
async def list_holidays(
    session: SessionDep, page: PageDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> Page[HolidayRead]:
    """The days that differ from the Monday-to-Friday week: holidays off, and weekends made working days."""
    items, total = await reference.list_holidays(session, page, year=year)
    return Page(items=[HolidayRead.model_validate(item) for item in items], total=total, **page.model_dump())


@router.put(
    "/holidays/{day}", operation_id="holiday-set", response_model=HolidayRead, responses=responses(401, 403, 422)
)
async def set_holiday(
    day: Day, body: HolidaySet, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> HolidayRead:
    """Set a day off, or a weekend day made a working day (调休上班). Repeating it changes nothing."""
    principal.require(*STAFF)
    read = HolidayRead.model_validate(await reference.set_holiday(session, day, body))
    await session.commit()
    runtime.reference.invalidate()
    return read


@router.delete(
    "/holidays/{day}", operation_id="holiday-delete", status_code=204, responses=responses(401, 403, 404, 422)
)
async def delete_holiday(day: Day, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal) -> Response:
    principal.require(*STAFF)
    await reference.delete_holiday(session, day)
    await session.commit()
    runtime.reference.invalidate()
    return Response(status_code=204)


@router.get(
    "/out-of-scope", operation_id="out-of-scope-list", response_model=Page[OutOfScopeRead], responses=responses(422)
)
async def list_out_of_scope(page: PageDep) -> Page[OutOfScopeRead]:
    """Matters this channel does not handle, and where the villager should go instead."""
    items = reference.out_of_scope_list()
    return Page(items=items[page.offset : page.offset + page.limit], total=len(items), **page.model_dump())


# --- the village board ----------------------------------------------------------------------------------------


@router.get(
    "/board/{grid_id}/cases",
    operation_id="board-cases",
    response_model=Page[BoardCase],
    responses=responses(404, 422),
)
async def board_cases(grid_id: EntityId, session: SessionDep, page: PageDep) -> Page[BoardCase]:
    """The public cases of a village (or any grid) and the grids below it, without personal data."""
    items, total = await board.board_cases(session, grid_id, page)
    return Page(items=items, total=total, **page.model_dump())


@router.get(
    "/board/{grid_id}/stats", operation_id="board-stats", response_model=BoardStats, responses=responses(404, 422)
)
async def board_stats(grid_id: EntityId, session: SessionDep, runtime: RuntimeDep) -> BoardStats:
    """Response, resolution and satisfaction rates and the median days to resolve, of the grid and below."""
    return await board.board_stats(session, grid_id, runtime.clock.now())


# --- the office's figures -------------------------------------------------------------------------------------


@router.get(
    "/statistics",
    operation_id="case-statistics",
    response_model=CaseStatistics,
    responses=responses(401, 403, 404, 422),
)
async def case_statistics(
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    grid_id: Annotated[EntityId | None, Query(description="A grid: its figures and those of the grids below")] = None,
    township_id: Annotated[EntityId | None, Query(description="A township (instead of grid_id)")] = None,
    date_from: Annotated[CivilDate | None, Query(description="Filed from this day")] = None,
    date_to: Annotated[CivilDate | None, Query(description="… to this day, included")] = None,
) -> CaseStatistics:
    """For the office and station staff, in one answer: cases by status, kind and township; the response,
    resolution and satisfaction rates; the rated, the overdue and the median hours to resolve — of the cases
    filed in the period (days in Beijing time, both included)."""
    principal.require(*STAFF)
    return await statistics.case_statistics(
        session,
        runtime.clock.now(),
        grid_id=grid_id,
        township_id=township_id,
        date_from=date_from,
        date_to=date_to,
        utc_offset_hours=runtime.policy.utc_offset_hours,
    )
