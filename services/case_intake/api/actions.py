"""The actions on a case, as one table: each row is a POST route that locks the case, finds the caller's standing,
runs one use case with the request body and answers with the case, once per Idempotency-Key.

Signed-in callers act on `/cases/{case_id}/…` (scope `<subject>:case-<action>:<case_id>`); an anonymous filer on
`/cases/track/{tracking_code}/…` with the filer key (scope `filer:<code>:case-<action>`).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.api.common import ACTION_ERRORS, FilerKey, RuntimeDep, TrackingCode, by_code, shaped
from services.case_intake.domain.lifecycle import Who
from services.case_intake.logic import escalation, lifecycle, notes, photos, referrals, routing, support
from services.case_intake.logic.access import who
from services.case_intake.logic.cases import check_filer_key, filer_by_key, get_case
from services.case_intake.models import Case
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import (
    CaseNoteCreate,
    CaseRead,
    ConfirmBody,
    DispatchBody,
    ExtendBody,
    MergeBody,
    NoteBody,
    PhotosBody,
    ReasonBody,
    ReferBody,
    RejectBody,
    ResolveBody,
    ReturnVisitBody,
    WithdrawBody,
)
from services.case_intake.views.cases import read_model
from shared.auth import CurrentPrincipal
from shared.problems import responses
from shared.routes import with_body
from shared.service import OnceDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader

router = APIRouter(tags=["case"])
FILER_ERRORS = responses(403, 404, 409, 422)

Do = Callable[[AsyncSession, CaseRuntime, Case, Who, Any], Awaitable[object]]


@dataclass(frozen=True)
class ActionRoute:
    """One action as a route. `action` names it in the idempotency scope; `summary` and `description` are the
    OpenAPI document's words; a body with `body_optional` may be left out (its defaults are sent)."""

    action: str
    path: str
    operation_id: str
    summary: str
    description: str
    body: type[BaseModel]
    do: Do
    status_code: int = 200
    body_optional: bool = False
    by_filer: bool = False


def _case(action: str, summary: str, body: type[BaseModel], do: Do, description: str, **more: Any) -> ActionRoute:
    return ActionRoute(action, f"/cases/{{case_id}}/{action}", f"case-{action}", summary, description, body, do, **more)


def _filer(action: str, summary: str, body: type[BaseModel], do: Do, description: str, **more: Any) -> ActionRoute:
    path, operation_id = f"/cases/track/{{tracking_code}}/{action}", f"case-track-{action}"
    return ActionRoute(action, path, operation_id, summary, description, body, do, by_filer=True, **more)


ACTIONS: list[ActionRoute] = [
    _filer(
        "confirm", "Confirm By Code", ConfirmBody, lifecycle.confirm,
        "The anonymous filer says it is solved and rates it.",
    ),
    _filer("reopen", "Reopen By Code", ReasonBody, lifecycle.reopen, "The anonymous filer says it is not solved."),
    _filer(
        "withdraw", "Withdraw By Code", WithdrawBody, lifecycle.withdraw, "The anonymous filer withdraws the case.",
        body_optional=True,
    ),
    _case(
        "photos", "Add Case Photos", PhotosBody, photos.add_photos,
        "A deputy handling the case or staff add up to 3 photos (e.g. a field visit's evidence) at a time.",
    ),
    ActionRoute(
        "note", "/cases/{case_id}/notes", "case-note", "Add Case Note",
        "An internal note on the timeline (action `note`), the status unchanged: by the deputies handling the case\n"
        "and the office, seen by deputies and the office only — never by the villager, on the tracking-code view or\n"
        "by the agencies it went to.",
        CaseNoteCreate, notes.add_note, status_code=201,
    ),
    _case(
        "accept", "Accept Case", NoteBody, lifecycle.accept,
        "A deputy it is routed to (or the office) takes the case on; the resolve clock runs.", body_optional=True,
    ),
    _case(
        "start", "Start Case", NoteBody, lifecycle.start,
        "Work on the case started (a visit, a call, a look at the place).", body_optional=True,
    ),
    _case(
        "refer", "Refer Case", ReferBody, referrals.refer,
        "Refer the case to an organisation of the four parties (四方联动) for an answer by a due date.",
    ),
    _case(
        "mediate", "Mediate Case", NoteBody, lifecycle.mediate, "Begin people's mediation of a dispute.",
        body_optional=True,
    ),
    _case(
        "resolve", "Resolve Case", ResolveBody, lifecycle.resolve,
        "Say what was done; the villager confirms or reopens.",
    ),
    _case(
        "confirm", "Confirm Case", ConfirmBody, lifecycle.confirm,
        "The filer closes the resolved case and rates it; staff do so on a return visit (回访).",
    ),
    _case(
        "return-visit", "Record Return Visit", ReturnVisitBody, lifecycle.return_visit,
        "Station staff or the office record a return visit (回访) to a villager who cannot use the app: confirmed\n"
        "closes the resolved case with the villager's rating, reopened sends it back to work.",
    ),
    _case(
        "reopen", "Reopen Case", ReasonBody, lifecycle.reopen,
        "Not solved: the filer reopens a resolved case; the office reopens a closed one to be redone (重办).",
    ),
    _case(
        "return", "Return Case", ReasonBody, lifecycle.return_case,
        "A wrongly assigned case goes back to the office (退单), with a reason, within the return window.",
    ),
    _case(
        "dispatch", "Dispatch Case", DispatchBody, routing.dispatch,
        "The office sends a returned or unrouted case to another grid's deputies or to named deputies.",
    ),
    _case(
        "withdraw", "Withdraw Case", WithdrawBody, lifecycle.withdraw,
        "The filer withdraws the case (or the office, at their request).", body_optional=True,
    ),
    _case(
        "reject", "Reject Case", RejectBody, lifecycle.reject,
        "Not taken up, with a reason the villager sees; out-of-scope matters say where to go instead.",
    ),
    _case(
        "merge", "Merge Case", MergeBody, support.merge,
        "The office merges a duplicate into another case; its filer and supporters become that case's supporters.",
    ),
    _case(
        "escalate", "Escalate Case", ReasonBody, escalation.escalate,
        "督办 by the office: to the township grid head, then to the NPC office (the scheduler does it when late).",
    ),
    _case(
        "extend", "Extend Case", ExtendBody, lifecycle.extend,
        "The one extension of the resolve deadline, asked before it passes.",
    ),
]  # fmt: skip


def _case_endpoint(spec: ActionRoute) -> Callable[..., Awaitable[JSONResponse]]:
    async def endpoint(
        case_id: EntityId,
        session: SessionDep,
        runtime: RuntimeDep,
        principal: CurrentPrincipal,
        once: OnceDep,
        body: BaseModel,
        key: IdempotencyKeyHeader = None,
    ) -> JSONResponse:
        async def run() -> CaseRead:
            case = await get_case(session, case_id, for_update=True)
            standing = await who(session, case, principal)
            await spec.do(session, runtime, case, standing, body)
            await session.flush()
            return await shaped(session, case, standing)

        scope = f"{principal.subject}:case-{spec.action}:{case_id}"
        return await once(key=key, scope=scope, body=body, create=run, status_code=spec.status_code)

    return endpoint


def _filer_endpoint(spec: ActionRoute) -> Callable[..., Awaitable[JSONResponse]]:
    async def endpoint(
        tracking_code: TrackingCode,
        session: SessionDep,
        runtime: RuntimeDep,
        once: OnceDep,
        body: BaseModel,
        filer_key: FilerKey = None,
        key: IdempotencyKeyHeader = None,
    ) -> JSONResponse:
        # the code and the key are checked before any replay: a stored answer is the filer's only
        case = await by_code(session, runtime, tracking_code)
        check_filer_key(case, filer_key)

        async def run() -> CaseRead:
            locked, standing = await filer_by_key(session, tracking_code, filer_key)
            await spec.do(session, runtime, locked, standing, body)
            await session.flush()
            return await read_model(session, locked, contact_visible=True)

        scope = f"filer:{case.tracking_code}:case-{spec.action}"
        return await once(key=key, scope=scope, body=body, create=run, status_code=spec.status_code)

    return endpoint


def _register(spec: ActionRoute) -> None:
    endpoint = _filer_endpoint(spec) if spec.by_filer else _case_endpoint(spec)
    with_body(endpoint, spec.body, optional=spec.body_optional)
    router.add_api_route(
        spec.path,
        endpoint,
        methods=["POST"],
        operation_id=spec.operation_id,
        status_code=spec.status_code,
        response_model=CaseRead,
        responses=FILER_ERRORS if spec.by_filer else ACTION_ERRORS,
        summary=spec.summary,
        description=spec.description,
        name=spec.summary.lower().replace(" ", "_"),
    )


for row in ACTIONS:
    _register(row)
