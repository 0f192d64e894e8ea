"""Deputies' suggestions (代表建议): drafting, the office's review and assignment, the organisations' answers,
the deputies' rating, and the lists. Each step is one row of ACTIONS: a POST that locks the suggestion, runs one
use case (which checks the caller's relation to it) and answers with the suggestion, once per Idempotency-Key."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from services.deputy.domain.suggestions import STATES
from services.deputy.logic import suggestion_handling as handling
from services.deputy.logic import suggestions as drafting
from services.deputy.schemas.suggestions import (
    SuggestionAnswerBody,
    SuggestionAssign,
    SuggestionBoard,
    SuggestionContact,
    SuggestionDone,
    SuggestionDraft,
    SuggestionMerge,
    SuggestionOpinionBody,
    SuggestionPublication,
    SuggestionRate,
    SuggestionRead,
    SuggestionReason,
    SuggestionRehandle,
    SuggestionSummary,
)
from services.deputy.views import suggestions as views
from shared.auth import CurrentPrincipal, OptionalPrincipal, Role
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.routes import with_body
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import EntityId, IdempotencyKeyHeader, text

router = APIRouter(tags=["suggestions"])
ERRORS = responses(401, 403, 404, 409, 422)
Year = Annotated[int | None, Query(ge=2000, le=2100, description="Submitted in this year (China time)")]
State = Annotated[str | None, Query(pattern="^(" + "|".join(STATES) + ")$")]
Organisation = Annotated[text(40, 1) | None, Query(description="Lead organisation's code")]  # type: ignore[valid-type]


class Empty(BaseModel):
    """No fields: the step needs nothing but the caller (any field sent is refused)."""

    model_config = ConfigDict(extra="forbid")


ACTIONS: list[tuple[str, str, type[BaseModel], Callable[..., Awaitable[None]]]] = [
    ("sign", "A co-signer signs the draft (附议)", Empty, drafting.sign),
    ("submit", "The lead deputy submits it to the NPC office (every co-signer signed)", Empty, drafting.submit),
    ("accept", "The office accepts it (立案): the deputies' good suggestion of the year", Empty, drafting.accept),
    ("merge", "The office merges it into a similar suggestion (并案)", SuggestionMerge, drafting.merge),
    ("return", "The office returns it to the deputy with a reason", SuggestionReason, drafting.return_),
    (
        "assign",
        "The office assigns it to a lead organisation (主办) and co-organisations (协办): due in 3 months, 6 when "
        "broad and difficult, or an earlier day",
        SuggestionAssign,
        handling.assign,
    ),
    (
        "opinion",
        "A co-organisation gives its opinion to the lead, before the answer",
        SuggestionOpinionBody,
        handling.opinion,
    ),
    (
        "reassignment",
        "The lead organisation asks the office to assign it elsewhere (within 10 days of assignment)",
        SuggestionReason,
        handling.request_reassignment,
    ),
    (
        "answer",
        "The lead organisation answers: class, text, measures, promised day",
        SuggestionAnswerBody,
        handling.answer,
    ),
    (
        "contact",
        "A deputy on it records how the organisation contacted them (面商/电话/书面)",
        SuggestionContact,
        handling.contact,
    ),
    ("rate", "The lead deputy rates the answer; dissatisfied goes back to the office", SuggestionRate, handling.rate),
    ("rehandle", "The office sends a dissatisfied answer back: due in a month", SuggestionRehandle, handling.rehandle),
    ("conclude", "The office closes a dissatisfied suggestion, with a reason", SuggestionReason, handling.conclude),
    ("done", "The lead organisation reports the planned measure done", SuggestionDone, handling.report_done),
    ("publication", "The office marks it for publication or not", SuggestionPublication, handling.publication),
]


@router.post(
    "/suggestions", operation_id="suggestion-draft", status_code=201, response_model=SuggestionRead, responses=ERRORS
)
async def draft_suggestion(
    body: SuggestionDraft,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """A deputy drafts a suggestion, criticism or opinion and leads it; the co-signers named sign it next."""

    async def create() -> SuggestionRead:
        suggestion = await drafting.draft(session, runtime, body, by=principal)
        return await views.suggestion_read(session, suggestion, principal, drafting.now_of(runtime))

    return await once(key=key, scope=f"{principal.subject}:suggestion-draft", body=body, create=create, status_code=201)


@router.put(
    "/suggestions/{suggestion_id}", operation_id="suggestion-edit", response_model=SuggestionRead, responses=ERRORS
)
async def edit_suggestion(
    suggestion_id: EntityId,
    body: SuggestionDraft,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """The lead deputy rewrites a draft or a returned suggestion; the co-signers sign the new words again."""

    async def run() -> SuggestionRead:
        suggestion = await drafting.get_suggestion(session, suggestion_id, for_update=True)
        await drafting.edit(session, runtime, suggestion, body, by=principal)
        return await views.suggestion_read(session, suggestion, principal, drafting.now_of(runtime))

    return await once(key=key, scope=f"{principal.subject}:suggestion-edit:{suggestion_id}", body=body, create=run)


def _endpoint(action: str, do: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[JSONResponse]]:
    async def endpoint(
        suggestion_id: EntityId,
        session: SessionDep,
        runtime: RuntimeDep,
        principal: CurrentPrincipal,
        once: OnceDep,
        body: BaseModel,
        key: IdempotencyKeyHeader = None,
    ) -> JSONResponse:
        async def run() -> SuggestionRead:
            suggestion = await drafting.get_suggestion(session, suggestion_id, for_update=True)
            await do(session, runtime, suggestion, body, by=principal)
            await session.flush()
            return await views.suggestion_read(session, suggestion, principal, drafting.now_of(runtime))

        scope = f"{principal.subject}:suggestion-{action}:{suggestion_id}"
        return await once(key=key, scope=scope, body=body, create=run)

    return endpoint


def _register(action: str, summary: str, body: type[BaseModel], do: Callable[..., Awaitable[None]]) -> None:
    router.add_api_route(
        f"/suggestions/{{suggestion_id}}/{action}",
        with_body(_endpoint(action, do), body, optional=body is Empty),
        methods=["POST"],
        operation_id=f"suggestion-{action}",
        response_model=SuggestionRead,
        responses=ERRORS,
        summary=summary.split(":")[0][:80],
        description=summary,
        name=f"suggestion_{action}",
    )


for _action, _summary, _body, _do in ACTIONS:
    _register(_action, _summary, _body, _do)


@router.get(
    "/suggestions", operation_id="suggestion-list", response_model=Page[SuggestionSummary], responses=responses(422)
)
async def list_suggestions(
    session: SessionDep,
    runtime: RuntimeDep,
    page: PageDep,
    state: State = None,
    organisation: Organisation = None,
    year: Year = None,
) -> Page[SuggestionSummary]:
    """The published suggestions (accepted, not marked otherwise): title, deputies, organisations, the answer's
    class, the rating and the dates. Anyone may read them."""
    return await views.public_list(
        session, page, drafting.now_of(runtime), state=state, organisation=organisation, year=year
    )


@router.get(
    "/suggestions/work", operation_id="suggestion-work", response_model=Page[SuggestionSummary], responses=ERRORS
)
async def work_suggestions(
    session: SessionDep,
    runtime: RuntimeDep,
    page: PageDep,
    principal: CurrentPrincipal,
    state: State = None,
    organisation: Organisation = None,
    year: Year = None,
    overdue: bool | None = None,
) -> Page[SuggestionSummary]:
    """The caller's suggestions: a deputy's own, an organisation's assigned ones, all of them for the office."""
    filters = {"state": state, "organisation": organisation, "year": year, "overdue": overdue}
    return await views.work_list(session, principal, page, drafting.now_of(runtime), **filters)


@router.get("/suggestions/board", operation_id="suggestion-board", response_model=SuggestionBoard, responses=ERRORS)
async def suggestion_board(
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> SuggestionBoard:
    """The office's board: the year's suggestions by state and by lead organisation, with the rates."""
    principal.require(Role.npc_office)
    return await views.board(session, year, drafting.now_of(runtime))


@router.get(
    "/suggestions/{suggestion_id}", operation_id="suggestion-get", response_model=SuggestionRead, responses=ERRORS
)
async def get_suggestion(
    suggestion_id: EntityId, session: SessionDep, runtime: RuntimeDep, principal: OptionalPrincipal
) -> SuggestionRead:
    """In full for its deputies, the office and its organisations; as published for anyone else."""
    suggestion = await drafting.get_suggestion(session, suggestion_id)
    return await views.suggestion_read(session, suggestion, principal, drafting.now_of(runtime))
