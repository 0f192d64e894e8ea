"""Referrals to the four parties (四方联动): a case goes to an organisation with a due date, its officer answers,
and the deputy accepts the answer (the case goes back to work) or sends it back with a new due date."""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import Actor, Who, require, standing_for_note
from services.case_intake.domain.wording import say, with_note
from services.case_intake.logic.access import who as standing_of
from services.case_intake.logic.cases import assignees, calendar, get_case, now_of
from services.case_intake.logic.organisations import referable
from services.case_intake.logic.timeline import check, move, note
from services.case_intake.models import Case, Referral
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import AnswerBody, NoteBody, ReferBody, SendBackBody
from shared import i18n
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.i18n import N_
from shared.messaging.catalogue import ReferralAnswered, ReferralReturned
from shared.privacy import redact
from shared.types import CivilDate


async def _due(session: AsyncSession, runtime: CaseRuntime, due_on: CivilDate | None, now: datetime) -> datetime:
    days = await calendar(session, runtime)
    due_at = days.end_of(due_on) if due_on else days.add_working_days(now, runtime.policy.referral_working_days)
    if due_at <= now:
        raise Unprocessable("The due date must be in the future.", field="due_on")
    return due_at


async def _due_words(session: AsyncSession, runtime: CaseRuntime, due_at: datetime) -> str:
    return str((await calendar(session, runtime)).due_day(due_at))


async def refer(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: ReferBody) -> Referral:
    check(case, "refer", who)
    organisation = await referable(session, data.organisation, data.organisation_kind)
    now = now_of(runtime)
    due_at = await _due(session, runtime, data.due_on, now)
    referral = Referral(
        id=str(uuid.uuid4()),
        case_id=case.id,
        organisation=organisation.code,
        organisation_kind=organisation.kind,
        question=data.question,
        status="open",
        due_at=due_at,
        rounds=1,
        created_by=who.subject,
        created_at=now,
    )
    session.add(referral)
    due = await _due_words(session, runtime, due_at)
    words = say("Referred to {organisation} for an answer by {due}", organisation=data.organisation, due=due)
    await move(session, runtime, case, "refer", who, words, now, organisation=data.organisation, due_at=due_at)
    return referral


async def get_referral(session: AsyncSession, referral_id: str, *, for_update: bool = False) -> Referral:
    query = select(Referral).where(Referral.id == referral_id)
    referral = (await session.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
    if referral is None:
        raise NotFound("No referral {referral_id}.", params={"referral_id": referral_id})
    return referral


def is_officer_of(principal: Principal, referral: Referral) -> bool:
    return principal.has(Role.agency_officer) and principal.organisation == referral.organisation


async def authorize_read(session: AsyncSession, referral: Referral, principal: Principal) -> None:
    if is_officer_of(principal, referral):
        return
    case = await get_case(session, referral.case_id)
    standing = await standing_of(session, case, principal)
    if not standing.actors & {Actor.staff, Actor.handler}:
        raise Forbidden("Only the organisation it went to, the deputies handling the case and the office see it.")


async def answer(
    session: AsyncSession, runtime: CaseRuntime, referral: Referral, principal: Principal, data: AnswerBody
) -> Referral:
    """The organisation's officer answers an open referral."""
    if not is_officer_of(principal, referral):
        raise Forbidden("Only an officer of the organisation it was referred to answers it.")
    if referral.status != "open":
        raise Conflict(
            "This referral is {status}; only an open one is answered.",
            params={"status": i18n.code("referral", referral.status)},
        )
    case = await get_case(session, referral.case_id, for_update=True)
    now = now_of(runtime)
    referral.answer, referral.answered_by, referral.answered_at, referral.status = (
        data.answer,
        principal.subject,
        now,
        "answered",
    )
    officer = Who(principal.subject, frozenset({Actor.officer}), principal=principal)
    await note(
        session,
        case,
        "referral_answered",
        officer,
        Actor.officer,
        say("{organisation} answered", organisation=referral.organisation),
        now,
    )
    payload = ReferralAnswered(
        referral_id=referral.id,
        case_id=case.id,
        grid_id=case.grid_id,
        organisation=referral.organisation,
        deputy_ids=await assignees(session, case.id),
        at=now,
    )
    await runtime.emit(session, payload, subject=case.id)
    return referral


def _answered(referral: Referral) -> None:
    if referral.status != "answered":
        raise Conflict(
            "This referral is {status}; only an answered one is accepted or sent back.",
            params={"status": i18n.code("referral", referral.status)},
        )


async def accept_answer(
    session: AsyncSession, runtime: CaseRuntime, referral: Referral, case: Case, who: Who, data: NoteBody
) -> None:
    """The deputy accepts the organisation's answer: the case goes back to work, to be resolved."""
    check(case, "accept_reply", who)
    _answered(referral)
    now = now_of(runtime)
    referral.status, referral.decision_note = "accepted", redact(data.note) or None
    words = with_note(
        say("The answer of {organisation} was accepted", organisation=referral.organisation), referral.decision_note
    )
    await move(
        session, runtime, case, "accept_reply", who, words, now, said=data.note, organisation=referral.organisation
    )


async def send_back(
    session: AsyncSession, runtime: CaseRuntime, referral: Referral, case: Case, who: Who, data: SendBackBody
) -> None:
    """The deputy finds the answer wanting: the referral is open again, with a new due date and a reason."""
    require(who, Actor.handler, Actor.staff, doing=N_("send this answer back"))
    if case.status not in ("referred", "escalated"):
        raise Conflict(
            "The case is {status}; an answer is sent back while it is referred.",
            params={"status": i18n.code("case", case.status)},
        )
    _answered(referral)
    now = now_of(runtime)
    referral.due_at = await _due(session, runtime, data.due_on, now)
    referral.status, referral.rounds, referral.decision_note = "open", referral.rounds + 1, redact(data.reason)
    due = await _due_words(session, runtime, referral.due_at)
    sentence = say(
        "The answer of {organisation} was sent back, to come by {due}", organisation=referral.organisation, due=due
    )
    words = with_note(sentence, referral.decision_note)
    actor = standing_for_note(who, Actor.handler, Actor.staff)
    await note(session, case, "referral_returned", who, actor, words, now, said=data.reason)
    payload = ReferralReturned(
        referral_id=referral.id,
        case_id=case.id,
        grid_id=case.grid_id,
        organisation=referral.organisation,
        deputy_ids=await assignees(session, case.id),
        due_at=referral.due_at,
        note=sentence,  # the deputy's reason stays here (GET /referrals/{id}): events carry no one's words
        at=now,
    )
    await runtime.emit(session, payload, subject=case.id)
