"""People's mediation (人民调解) of disputes: sessions with their record, the written agreement, the follow-up of
its performance and the optional judicial confirmation (司法确认) within 30 days of the agreement."""

import uuid
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import Actor, Who, require, standing_for_note
from services.case_intake.domain.wording import say, with_note
from services.case_intake.logic.cases import now_of
from services.case_intake.logic.timeline import note
from services.case_intake.models import Case, MediationSession
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import (
    ConfirmationBody,
    JudicialRuling,
    MediationCreate,
    MediationOutcome,
    PerformanceBody,
    RulingBody,
)
from shared import i18n
from shared.clock import today as civil_today
from shared.errors import Conflict, NotFound, Unprocessable
from shared.i18n import N_
from shared.messaging.catalogue import DisputeMediated

CONFIRMATION_DAYS = 30
OUTCOME_WORDS = {
    MediationOutcome.agreement: N_("an agreement was reached"),
    MediationOutcome.no_agreement: N_("no agreement was reached"),
    MediationOutcome.adjourned: N_("it will continue another day"),
}


def mediator(who: Who) -> Actor:
    """Only the deputies handling the dispute and the office keep (and read) its mediation file."""
    require(who, Actor.handler, Actor.staff, doing=N_("keep this dispute's mediation file"))
    return standing_for_note(who, Actor.handler, Actor.staff)


def _check_outcome(data: MediationCreate) -> None:
    if (data.outcome is MediationOutcome.agreement) != (data.agreement is not None):
        raise Unprocessable("An agreement comes with the outcome 'agreement', and only with it.", field="agreement")


async def record_session(
    session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: MediationCreate
) -> MediationSession:
    actor = mediator(who)
    if case.kind != "dispute":
        raise Conflict("Only a dispute is mediated.", current_status=case.status)
    if case.status not in ("mediating", "escalated"):
        raise Conflict(
            "The case is {status}; start mediation first.",
            params={"status": i18n.code("case", case.status)},
            current_status=case.status,
        )
    _check_outcome(data)
    now = now_of(runtime)
    agreement = data.agreement.model_dump(mode="json") if data.agreement else None
    mediation = MediationSession(
        id=str(uuid.uuid4()),
        case_id=case.id,
        held_on=data.held_on,
        place=data.place,
        parties=[party.model_dump() for party in data.parties],
        mediator_deputy_ids=sorted(set(data.mediator_deputy_ids)),
        record=data.record,
        outcome=data.outcome,
        agreement=agreement,
        perform_by=data.agreement.perform_by if data.agreement else None,
        created_by=who.subject,
        created_at=now,
    )
    session.add(mediation)
    words = say(
        "A mediation session was held on {day}: {outcome}", day=str(data.held_on), outcome=OUTCOME_WORDS[data.outcome]
    )
    await note(session, case, "mediation_session", who, actor, words, now)
    reached = data.agreement is not None and data.agreement.signed_by_all
    payload = DisputeMediated(
        case_id=case.id,
        grid_id=case.grid_id,
        mediator_deputy_ids=mediation.mediator_deputy_ids,
        agreement_reached=reached,
        at=now,
    )
    await runtime.emit(session, payload, subject=case.id)
    return mediation


async def get_session(session: AsyncSession, case: Case, mediation_id: str) -> MediationSession:
    mediation = await session.get(MediationSession, mediation_id)
    if mediation is None or mediation.case_id != case.id:
        raise NotFound("No mediation session {mediation_id} in this case.", params={"mediation_id": mediation_id})
    return mediation


def _agreement_date(mediation: MediationSession) -> date:
    if not mediation.agreement:
        raise Conflict("This session ended without an agreement.")
    return mediation.held_on


async def record_performance(
    session: AsyncSession,
    runtime: CaseRuntime,
    case: Case,
    mediation: MediationSession,
    who: Who,
    data: PerformanceBody,
) -> MediationSession:
    """The follow-up: was the agreement carried out?"""
    actor = mediator(who)
    _agreement_date(mediation)
    now = now_of(runtime)
    mediation.performed, mediation.performance_note = data.performed, data.note or None
    words = say("The agreement was carried out") if data.performed else say("The agreement is not carried out yet")
    await note(session, case, "mediation_performance", who, actor, words, now)
    return mediation


async def record_confirmation(
    session: AsyncSession,
    runtime: CaseRuntime,
    case: Case,
    mediation: MediationSession,
    who: Who,
    data: ConfirmationBody,
) -> MediationSession:
    """Both parties applied to the court for judicial confirmation, within 30 days of the agreement."""
    actor = mediator(who)
    agreed_on = _agreement_date(mediation)
    if not (mediation.agreement or {}).get("signed_by_all"):
        raise Conflict("Only an agreement signed by both parties and the mediator can be confirmed by a court.")
    if not agreed_on <= data.applied_on <= agreed_on + timedelta(days=CONFIRMATION_DAYS):
        raise Unprocessable("Judicial confirmation is applied for within 30 days of the agreement.", field="applied_on")
    mediation.confirmation_applied_on = data.applied_on
    words = say(
        "The parties applied to the court for judicial confirmation (司法确认) on {day}", day=str(data.applied_on)
    )
    await note(session, case, "judicial_confirmation", who, actor, words, now_of(runtime))
    return mediation


RULING_WORDS = {
    JudicialRuling.confirmed: "The court confirmed the mediation agreement (司法确认) on {day}: it can be enforced",
    JudicialRuling.not_confirmed: "The court did not confirm the mediation agreement (司法确认) on {day}",
}
RULING_ACTIONS = {JudicialRuling.confirmed: "judicial_confirmed", JudicialRuling.not_confirmed: "judicial_refused"}


async def record_ruling(
    session: AsyncSession,
    runtime: CaseRuntime,
    case: Case,
    mediation: MediationSession,
    who: Who,
    data: RulingBody,
) -> MediationSession:
    """The court's ruling on the application (confirmed or not, the day, its document number), once: it goes on
    the dispute's timeline, where the parties read whether the agreement can be enforced."""
    actor = mediator(who)
    if mediation.confirmation_applied_on is None:
        raise Conflict("No judicial confirmation was applied for on this agreement.")
    if mediation.confirmation_ruling is not None:
        raise Conflict("The court's ruling on this agreement is recorded already.")
    if not mediation.confirmation_applied_on <= data.ruled_on <= civil_today(runtime):
        raise Unprocessable("The ruling is given after the application, and not in the future.", field="ruled_on")
    mediation.confirmation_ruling = data.ruling.value
    mediation.confirmation_ruled_on = data.ruled_on
    mediation.confirmation_document_number = data.document_number
    words = with_note(RULING_WORDS[data.ruling].format(day=data.ruled_on), data.document_number)
    action = RULING_ACTIONS[data.ruling]
    await note(session, case, action, who, actor, words, now_of(runtime), said=data.document_number)
    return mediation
