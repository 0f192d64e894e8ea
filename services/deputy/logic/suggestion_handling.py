"""Handling a suggestion (建议办理) once the office accepted it: assignment to a lead organisation and
co-organisations, their opinions and the lead's answer, the deputies' contact record and rating, re-handling
after a dissatisfied rating, a planned measure reported done, and whether it is published.

Organisations are named by case intake's codes as the office gives them: no event carries the organisations
list, so the deputy service keeps the codes it is given, and an agency officer acts for the organisation their
token names."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain import suggestions as rules
from services.deputy.domain.periods import china_date
from services.deputy.logic.suggestions import co_organisations, emit, now_of, take
from services.deputy.models import Suggestion, SuggestionAnswer, SuggestionOpinion
from services.deputy.schemas.suggestions import (
    SuggestionAnswerBody,
    SuggestionAssign,
    SuggestionContact,
    SuggestionDone,
    SuggestionOpinionBody,
    SuggestionPublication,
    SuggestionRate,
    SuggestionReason,
    SuggestionRehandle,
)
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, Unprocessable
from shared.messaging.catalogue import (
    SuggestionAnswered,
    SuggestionAssigned,
    SuggestionCompleted,
    SuggestionRated,
    SuggestionReassignmentRequested,
    SuggestionRehandled,
)
from shared.service import ServiceRuntime


async def current_answer(session: AsyncSession, suggestion: Suggestion) -> SuggestionAnswer:
    answer = await session.get(SuggestionAnswer, (suggestion.id, suggestion.round))
    if answer is None:  # every round starts with its answer row: assignment and re-handling write it
        raise Conflict("No answer is asked for yet.", current_status=suggestion.state)
    return answer


async def assign(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, data: SuggestionAssign, *, by: Principal
) -> None:
    """The office assigns it to a lead organisation (主办) and co-organisations (协办), or assigns it again when
    the lead asked; the answer is due three months on (six when broad and difficult) or on an earlier day."""
    step, signers = await take(session, suggestion, "assign", by)
    if data.lead_organisation in data.co_organisations:
        raise Unprocessable("The lead organisation is not also a co-organisation.")
    now = now_of(runtime)
    due_at = rules.answer_due(now, data.broad, data.due_on)
    suggestion.round = suggestion.round or 1
    answer = await session.get(SuggestionAnswer, (suggestion.id, suggestion.round))
    if answer is None:
        answer = SuggestionAnswer(suggestion_id=suggestion.id, round=suggestion.round)
        session.add(answer)
    answer.organisation, answer.due_at = data.lead_organisation, due_at
    suggestion.state, suggestion.broad, suggestion.due_at = step.target or "", data.broad, due_at
    suggestion.lead_organisation = data.lead_organisation
    suggestion.co_organisations = ",".join(data.co_organisations)
    suggestion.assigned_at = suggestion.updated_at = now
    await emit(session, runtime, SuggestionAssigned, suggestion, signers, broad=data.broad)
    detail = {"lead": data.lead_organisation, "co": list(data.co_organisations), "broad": data.broad}
    await audit.record(session, by, "deputy.suggestion.assign", "suggestion", suggestion.id, **detail)


async def opinion(
    session: AsyncSession,
    runtime: ServiceRuntime,
    suggestion: Suggestion,
    data: SuggestionOpinionBody,
    *,
    by: Principal,
) -> None:
    """A co-organisation gives its opinion to the lead organisation (协办意见), before the lead answers."""
    await take(session, suggestion, "opinion", by)
    organisation = by.organisation or ""
    now = now_of(runtime)
    found = await session.get(SuggestionOpinion, (suggestion.id, suggestion.round, organisation))
    if found is None:
        session.add(
            SuggestionOpinion(
                suggestion_id=suggestion.id, round=suggestion.round, organisation=organisation, text=data.text, at=now
            )
        )
    else:
        found.text, found.at = data.text, now
    suggestion.updated_at = now
    await audit.record(session, by, "deputy.suggestion.opinion", "suggestion", suggestion.id)


async def request_reassignment(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, data: SuggestionReason, *, by: Principal
) -> None:
    """The lead organisation says it is not theirs, within the first ten days; the office assigns it again."""
    step, signers = await take(session, suggestion, "request_reassignment", by)
    now = now_of(runtime)
    if suggestion.assigned_at is None or not rules.may_request_reassignment(suggestion.assigned_at, now):
        raise Conflict(
            f"Re-assignment may be asked within {rules.REASSIGNMENT_DAYS} days of assignment only.",
            current_status=suggestion.state,
        )
    suggestion.state, suggestion.reason, suggestion.due_at = step.target or "", data.reason, None
    suggestion.updated_at = now
    await emit(session, runtime, SuggestionReassignmentRequested, suggestion, signers, reason=data.reason)
    await audit.record(session, by, "deputy.suggestion.request_reassignment", "suggestion", suggestion.id)


async def answer(
    session: AsyncSession,
    runtime: ServiceRuntime,
    suggestion: Suggestion,
    data: SuggestionAnswerBody,
    *,
    by: Principal,
) -> None:
    """The lead organisation answers, once every co-organisation gave its opinion this round."""
    step, signers = await take(session, suggestion, "answer", by)
    now = now_of(runtime)
    if data.answer_class == "planned" and (data.promised_on is None or data.promised_on < china_date(now)):
        raise Unprocessable("A planned measure names the day it is promised by, not one past.")
    if data.answer_class == "cannot_now" and not data.reason:
        raise Unprocessable("Say why it cannot be solved now.")
    given = await session.execute(
        select(SuggestionOpinion.organisation).where(
            SuggestionOpinion.suggestion_id == suggestion.id, SuggestionOpinion.round == suggestion.round
        )
    )
    waiting = set(co_organisations(suggestion)) - set(given.scalars())
    if waiting:
        raise Conflict(
            "The co-organisations give their opinions first: " + ", ".join(sorted(waiting)),
            current_status=suggestion.state,
        )
    row = await current_answer(session, suggestion)
    row.answer_class, row.text, row.measures = data.answer_class.value, data.text, data.measures or None
    row.reason, row.promised_on, row.answered_at = data.reason or None, data.promised_on, now
    suggestion.state, suggestion.due_at, suggestion.updated_at = step.target or "", None, now
    extra = {"answer_class": row.answer_class, "promised_on": row.promised_on}
    await emit(session, runtime, SuggestionAnswered, suggestion, signers, **extra)
    await audit.record(session, by, "deputy.suggestion.answer", "suggestion", suggestion.id, **extra)


async def contact(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, data: SuggestionContact, *, by: Principal
) -> None:
    """A deputy on it records how the organisation contacted them about this round (面商/电话/书面)."""
    await take(session, suggestion, "contact", by)
    now = now_of(runtime)
    if data.on > china_date(now):
        raise Unprocessable("The contact lies in the future.")
    row = await current_answer(session, suggestion)
    row.contact_method, row.contacted_on, suggestion.updated_at = data.method.value, data.on, now
    await audit.record(session, by, "deputy.suggestion.contact", "suggestion", suggestion.id, method=data.method.value)


def _finish(suggestion: Suggestion, now: datetime) -> None:
    suggestion.state, suggestion.completed_at, suggestion.due_at = "completed", now, None


async def rate(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, data: SuggestionRate, *, by: Principal
) -> None:
    """The lead deputy rates the answer. Dissatisfied (with a reason) goes back to the office; a planned
    measure stays open until reported done; any other answer completes the suggestion."""
    _step, signers = await take(session, suggestion, "rate", by)
    if data.rating == "dissatisfied" and not data.reason:
        raise Unprocessable("Say why you are dissatisfied.")
    row = await current_answer(session, suggestion)
    if row.contact_method is None:
        raise Conflict("Record how the organisation contacted you first.", current_status=suggestion.state)
    now = now_of(runtime)
    row.rating, row.rating_reason, row.rated_at = data.rating.value, data.reason or None, now
    suggestion.state, suggestion.updated_at = rules.after_rating(row.rating, row.answer_class or ""), now
    if suggestion.state == "completed":
        _finish(suggestion, now)
    await emit(session, runtime, SuggestionRated, suggestion, signers, rating=row.rating, answer_class=row.answer_class)
    if suggestion.state == "completed":
        await emit(session, runtime, SuggestionCompleted, suggestion, signers)
    await audit.record(session, by, "deputy.suggestion.rate", "suggestion", suggestion.id, rating=row.rating)


async def rehandle(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, data: SuggestionRehandle, *, by: Principal
) -> None:
    """The office sends a dissatisfied answer back to the lead organisation: a new round, due in a month."""
    step, signers = await take(session, suggestion, "rehandle", by)
    now = now_of(runtime)
    due_at = rules.rehandle_due(now, data.due_on)
    suggestion.round += 1
    session.add(
        SuggestionAnswer(
            suggestion_id=suggestion.id,
            round=suggestion.round,
            organisation=suggestion.lead_organisation or "",
            due_at=due_at,
        )
    )
    suggestion.state, suggestion.due_at, suggestion.reason = step.target or "", due_at, data.reason
    suggestion.updated_at = now
    await emit(session, runtime, SuggestionRehandled, suggestion, signers)
    await audit.record(session, by, "deputy.suggestion.rehandle", "suggestion", suggestion.id, round=suggestion.round)


async def conclude(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, data: SuggestionReason, *, by: Principal
) -> None:
    """The office closes a dissatisfied suggestion without another round, with its reason."""
    _step, signers = await take(session, suggestion, "conclude", by)
    now = now_of(runtime)
    _finish(suggestion, now)
    suggestion.reason, suggestion.updated_at = data.reason, now
    await emit(session, runtime, SuggestionCompleted, suggestion, signers)
    await audit.record(session, by, "deputy.suggestion.conclude", "suggestion", suggestion.id)


async def report_done(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, data: SuggestionDone, *, by: Principal
) -> None:
    """The lead organisation reports the planned measure done: the suggestion is completed."""
    _step, signers = await take(session, suggestion, "report_done", by)
    now = now_of(runtime)
    _finish(suggestion, now)
    suggestion.done_report, suggestion.updated_at = data.report, now
    await emit(session, runtime, SuggestionCompleted, suggestion, signers)
    await audit.record(session, by, "deputy.suggestion.report_done", "suggestion", suggestion.id)


async def publication(
    session: AsyncSession,
    runtime: ServiceRuntime,
    suggestion: Suggestion,
    data: SuggestionPublication,
    *,
    by: Principal,
) -> None:
    """The office marks it for publication or not (a suggestion is public unless marked)."""
    await take(session, suggestion, "publication", by)
    suggestion.public, suggestion.updated_at = data.public, now_of(runtime)
    await audit.record(session, by, "deputy.suggestion.publication", "suggestion", suggestion.id, public=data.public)
