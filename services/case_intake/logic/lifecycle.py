"""The handling of a case, one use case per action: take it on, work on it, resolve it, the villager's word
(confirm and rate, or reopen; on a return visit 回访 by staff for those without the app), return it, withdraw
or reject it, extend its deadline. Each action is planned by the transition table (domain.lifecycle) and
written by timeline.move; the route-facing ones take the request body as it came."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import SYSTEM, Actor, CaseStatus, Who, require, standing_for_note
from services.case_intake.domain.out_of_scope import where_to_go
from services.case_intake.domain.wording import Sentence, say, with_note
from services.case_intake.logic.cases import calendar, close_referrals, now_of, start_clocks
from services.case_intake.logic.timeline import check, move, note
from services.case_intake.models import Case
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import (
    ConfirmBody,
    ExtendBody,
    NoteBody,
    ReasonBody,
    RejectBody,
    ResolveBody,
    ReturnVisitBody,
    VisitMethod,
    VisitOutcome,
    WithdrawBody,
)
from shared.errors import Conflict, Forbidden, Unprocessable
from shared.i18n import N_
from shared.privacy import redact

VISIT_WORDS = {VisitMethod.phone: N_("by phone"), VisitMethod.in_person: N_("in person")}
RATING_WORDS = {
    "satisfied": N_("satisfied"),
    "basically_satisfied": N_("basically satisfied"),
    "unsatisfied": N_("unsatisfied"),
}


async def accept(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: NoteBody) -> None:
    actor = check(case, "accept", who)
    now = now_of(runtime)
    case.accepted_at = case.accepted_at or now
    case.due_kind = "resolve"
    if case.resolve_due_at is None:
        await start_clocks(session, runtime, case, now)
        case.due_kind = "resolve"
    words = say("Accepted by a deputy, who will handle it") if actor is Actor.handler else say("Accepted by the office")
    await move(session, runtime, case, "accept", who, with_note(words, data.note), now, said=data.note)


async def start(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: NoteBody) -> None:
    check(case, "start", who)
    now = now_of(runtime)
    case.accepted_at = case.accepted_at or now
    case.due_kind = "resolve"
    await move(
        session, runtime, case, "start", who, with_note(say("Work on it started"), data.note), now, said=data.note
    )


async def mediate(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: NoteBody) -> None:
    check(case, "mediate", who)
    if case.kind != "dispute":
        raise Conflict("Only a dispute is mediated.", current_status=case.status, action="mediate")
    now = now_of(runtime)
    case.accepted_at = case.accepted_at or now
    case.due_kind = "resolve"
    words = with_note(say("Mediation between the parties began"), data.note)
    await move(session, runtime, case, "mediate", who, words, now, said=data.note)


async def resolve(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: ResolveBody) -> None:
    check(case, "resolve", who)
    now = now_of(runtime)
    case.resolution = redact(data.resolution)
    case.resolved_at, case.closed_at, case.due_kind = now, None, None
    case.accepted_at = case.accepted_at or now
    await close_referrals(session, case)
    words = with_note(say("Resolved"), case.resolution)
    await move(session, runtime, case, "resolve", who, words, now, said=data.resolution)


async def confirm(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: ConfirmBody) -> None:
    actor = check(case, "confirm", who)
    if data.return_visit and actor is not Actor.staff:
        raise Forbidden("Only station staff record a return visit.")
    rating = RATING_WORDS[data.rating]
    if data.return_visit or actor is Actor.staff:
        words = say("On a return visit (回访) the villager said it was solved and rated it: {rating}", rating=rating)
    else:
        words = say("The villager confirmed it was solved and rated it: {rating}", rating=rating)
    await _close_rated(session, runtime, case, who, data.rating, data.comment, words)


async def _close_rated(
    session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, rating: str, comment: str, words: str
) -> None:
    now = now_of(runtime)
    case.rating, case.rating_comment, case.closed_at = rating, redact(comment) or None, now
    reason = with_note(words, case.rating_comment)
    await move(session, runtime, case, "confirm", who, reason, now, said=case.rating_comment, rating=rating)


async def auto_close(session: AsyncSession, runtime: CaseRuntime, case: Case, days: int) -> None:
    now = now_of(runtime)
    case.closed_at = now
    reason = say("Closed: no answer from the villager within {days} days of the resolution", days=days)
    await move(session, runtime, case, "auto_close", SYSTEM, reason, now)


async def reopen(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: ReasonBody) -> None:
    actor = check(case, "reopen", who)
    words = (
        say("Reopened by the villager: not solved")
        if actor is Actor.filer
        else say("Reopened by the office to be redone")
    )
    await _reopen(session, runtime, case, who, with_note(words, data.reason), data.reason)


async def _reopen(
    session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, words: str, said: str | None
) -> None:
    now = now_of(runtime)
    case.rating = case.rating_comment = case.resolved_at = case.closed_at = None
    await start_clocks(session, runtime, case, now)
    await move(session, runtime, case, "reopen", who, words, now, said=said)


async def return_visit(
    session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: ReturnVisitBody
) -> None:
    """回访: staff ask a villager who cannot use the app (by phone or in person) and record the answer for them:
    solved, closing the case with the villager's rating, or not solved, reopening it."""
    require(who, Actor.staff, doing=N_("record a return visit"))
    if case.status != CaseStatus.resolved:
        raise Conflict("A return visit is made on a resolved case.", current_status=case.status, action="return_visit")
    staff = Who(who.subject, frozenset({Actor.staff}), principal=who.principal)
    how = VISIT_WORDS[data.method]
    if data.outcome is VisitOutcome.confirmed:
        assert data.rating is not None
        words = say(
            "Return visit (回访) {how} by the office: the villager said it was solved and rated it: {rating}",
            how=how,
            rating=RATING_WORDS[data.rating],
        )
        await _close_rated(session, runtime, case, staff, data.rating, data.comment, words)
    else:
        words = with_note(
            say(
                "Return visit (回访) {how} by the office: the villager said it is not solved, so it was reopened",
                how=how,
            ),
            data.comment,
        )
        await _reopen(session, runtime, case, staff, words, data.comment)


async def return_case(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: ReasonBody) -> None:
    """A deputy returns a wrongly assigned case (退单) within the policy's working days, with a reason."""
    check(case, "return", who)
    now = now_of(runtime)
    days = await calendar(session, runtime)
    limit = days.add_working_days(case.assigned_at or case.submitted_at, runtime.policy.return_working_days)
    if now >= limit:
        raise Conflict("The time to return this case has passed; ask the office to dispatch it again.")
    case.public_reason, case.due_kind = redact(data.reason), None
    words = with_note(say("Returned to the office as not for these deputies; it will be sent on"), case.public_reason)
    await move(session, runtime, case, "return", who, words, now, said=case.public_reason)


async def withdraw(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: WithdrawBody) -> None:
    actor = check(case, "withdraw", who)
    now = now_of(runtime)
    case.public_reason, case.due_kind = redact(data.reason) or None, None
    await close_referrals(session, case)
    words = (
        say("Withdrawn by the villager")
        if actor is Actor.filer
        else say("Withdrawn by the office at the villager's request")
    )
    reason = with_note(words, case.public_reason)
    await move(session, runtime, case, "withdraw", who, reason, now, said=case.public_reason)


async def reject(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: RejectBody) -> None:
    check(case, "reject", who)
    now = now_of(runtime)
    case.public_reason, case.out_of_scope, case.due_kind = redact(data.reason), data.out_of_scope, None
    await close_referrals(session, case)
    words = with_note(say("Not taken up"), case.public_reason)
    if data.out_of_scope:
        words = Sentence(f"{words}. {where_to_go(data.out_of_scope)}", words.template, words.params)
    await move(session, runtime, case, "reject", who, words, now, said=case.public_reason)


async def extend(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: ExtendBody) -> None:
    """The one extension of the resolve deadline, asked before it passes."""
    require(who, Actor.handler, Actor.staff, doing=N_("extend this case's deadline"))
    now = now_of(runtime)
    if case.due_kind != "resolve" or case.resolve_due_at is None or now >= case.resolve_due_at:
        raise Conflict("Only a running resolve deadline that has not passed is extended.", current_status=case.status)
    if case.extended:
        raise Conflict("This case had its one extension already.", current_status=case.status)
    if data.working_days > runtime.policy.max_extension_working_days:
        raise Unprocessable("The extension is longer than the policy allows.", field="working_days")
    days = await calendar(session, runtime)
    case.resolve_due_at, case.extended = days.after_deadline(case.resolve_due_at, data.working_days), True
    words = say("Deadline extended by {days} working days", days=data.working_days)
    actor = standing_for_note(who, Actor.handler, Actor.staff)
    await note(session, case, "extend", who, actor, with_note(words, data.reason), now, said=data.reason)
