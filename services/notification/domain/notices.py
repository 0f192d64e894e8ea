"""Who is told what about a case event: the decision table, before anyone's devices or preferences count.

A notice names a kind (what happened, for the texts and the preferences), an audience and, for deputies,
which of them. `deputies` are told through the accounts that act for those deputy ids; `followers` are the
devices and accounts that follow the case by its tracking code (the villager who filed it, or anyone who
holds the code: the code is what the tracking page asks for, and a notice says no more than that page);
`organisation` are the agency officers' accounts of one organisation (case.case.referred names it); `office`
are the NPC office's accounts (told of a case escalated to the office).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.messaging.catalogue import CaseAssignedV2, CaseSubmittedV2


class Kind(StrEnum):
    case_routed = "case_routed"  # deputy: a case was routed to you
    case_reminder = "case_reminder"  # deputy: a deadline is near
    case_chased = "case_chased"  # deputy: a deadline passed (催办)
    case_escalated = "case_escalated"  # deputy: a case was escalated, naming you
    referral_answered = "referral_answered"  # deputy: the organisation answered a referral
    case_accepted = "case_accepted"  # villager
    case_referred = "case_referred"  # villager
    case_resolved = "case_resolved"  # villager: is it fixed?
    case_rejected = "case_rejected"  # villager: where to go instead
    case_reopened = "case_reopened"  # villager
    case_unaccepted = "case_unaccepted"  # deputy, by SMS: routed to you 2 working hours ago and still unaccepted
    session_tomorrow = "session_tomorrow"  # deputy: a reception session you are on duty at, the day before
    referral_arrived = "referral_arrived"  # agency officer: a case was referred to your organisation
    referral_due = "referral_due"  # agency officer: the answer to a referral is due tomorrow
    office_escalated = "office_escalated"  # NPC office: a case was escalated to the office (督办)
    booking_confirmed = "booking_confirmed"  # villager (signed in): their booking of a session is confirmed
    booking_promoted = "booking_promoted"  # villager: a place freed up and their waitlisted booking has it
    booking_cancelled = "booking_cancelled"  # villager: the session they booked was cancelled
    project_approved = "project_approved"  # villager: a micro-project answering their case was approved
    project_completed = "project_completed"  # villager: that micro-project was completed (验收)
    objection_raised = "objection_raised"  # NPC office: an objection to a project's public notice
    suggestion_assigned = "suggestion_assigned"  # agency officer: a deputies' suggestion for your organisation
    suggestion_due = "suggestion_due"  # agency officer: its answer is due soon
    suggestion_answered = "suggestion_answered"  # deputy (lead and co-signers): your suggestion was answered
    summary = "summary"  # anyone: more messages this hour than the cap, folded into one (domain/capping.py)


DEPUTY_KINDS = frozenset(
    {
        Kind.case_routed,
        Kind.case_reminder,
        Kind.case_chased,
        Kind.case_escalated,
        Kind.referral_answered,
        Kind.case_unaccepted,
    }
)
VILLAGER_KINDS = frozenset(
    {
        Kind.case_accepted,
        Kind.case_referred,
        Kind.case_resolved,
        Kind.case_rejected,
        Kind.case_reopened,
        Kind.project_approved,
        Kind.project_completed,
    }
)
"""What a case's followers hear of: all that the tracking code shows (named one by one, so that a kind for
officials never reaches whoever holds a code)."""
SMS_FOR_DEPUTIES = frozenset({Kind.case_chased, Kind.case_escalated})
"""Deputies get an SMS (on a number they gave) for these at once, and for a case routed to them when it is urgent."""
SMS_ONLY = frozenset({Kind.case_unaccepted})
"""Kinds that exist to reach someone who did not see the push: an SMS, no push again."""
BOOKING_KINDS = frozenset({Kind.booking_confirmed, Kind.booking_promoted, Kind.booking_cancelled})
"""A villager's bookings (station.booking.*, station.session.cancelled): to the account that booked."""
SUGGESTION_KINDS = frozenset({Kind.suggestion_assigned, Kind.suggestion_due, Kind.suggestion_answered})
"""Deputies' suggestions (deputy.suggestion.*): the lead organisation's officers, the suggestion's deputies."""
WITHOUT_A_CASE = frozenset(
    {Kind.session_tomorrow, Kind.summary, Kind.objection_raised} | BOOKING_KINDS | SUGGESTION_KINDS
)
"""Kinds not about one case: their words name no tracking code."""
OFFICER_KINDS = frozenset({Kind.referral_arrived, Kind.referral_due})
CHOSEN_KINDS = tuple(kind for kind in Kind if kind != Kind.summary)
"""The kinds an account turns on or off per channel (a summary goes where what it folded would have gone)."""
IN_APP = frozenset(
    {Kind.session_tomorrow, Kind.referral_arrived, Kind.referral_due, Kind.office_escalated, Kind.objection_raised}
    | BOOKING_KINDS
    | SUGGESTION_KINDS
)
"""Kinds also kept in the account's notifications list when it has no device to push to (channel `app`: a row
written as shown, nothing to send). The case kinds reach the list through their push and SMS rows."""


class Audience(StrEnum):
    deputies = "deputies"
    followers = "followers"
    organisation = "organisation"  # the officers of one organisation (their token names it)
    accounts = "accounts"  # the accounts named (token subjects: a villager who booked)
    office = "office"  # the NPC office's accounts


@dataclass(frozen=True)
class Notice:
    kind: Kind
    audience: Audience
    deputy_ids: tuple[str, ...] = ()
    urgent: bool = False
    organisation: str | None = None
    when: datetime | None = None  # the moment its words name, when the event says it (a referral's due)
    subjects: tuple[str, ...] = ()  # Audience.accounts: the accounts' token subjects


@dataclass(frozen=True)
class CaseFacts:
    """What a case event says, reduced to what deciding needs (the projection fills it from any case event)."""

    event_type: str
    case_id: str
    tracking_code: str | None
    grid_id: str
    deputy_ids: tuple[str, ...]
    urgent: bool = False
    stage: str | None = None  # reminders: reminder | chase
    organisation: str | None = None
    due_at: datetime | None = None  # a referral's: the end of the day its answer is due
    from_status: str | None = None
    escalation_level: int | None = None  # an escalation's: 1 the township's grid head, 2 the NPC office


OFFICE_LEVEL = 2


def escalation_level(previous: int, from_status: str | None) -> int:
    """The level a case's escalation reaches, as case intake escalates (督办): the first to the township's grid
    head (1), the next to the NPC office (2); a case that never reached a deputy (escalated from `submitted`)
    goes to the NPC office at once. Case intake's events do not say the level: this service counts them."""
    if from_status == "submitted":
        return OFFICE_LEVEL
    return min(previous + 1, OFFICE_LEVEL)


FOLLOWER_STEPS = {
    "case.case.accepted.v1": Kind.case_accepted,
    "case.case.referred.v1": Kind.case_referred,
    "case.case.resolved.v1": Kind.case_resolved,
    "case.case.rejected.v1": Kind.case_rejected,
    "case.case.reopened.v1": Kind.case_reopened,
}
"""Case steps the filer hears of: accepted, referred (to whom), resolved (is it fixed?), rejected (where to go),
reopened (the answer to their reopening)."""


def decide(facts: CaseFacts) -> list[Notice]:
    """The notices one case event gives rise to (none for most steps: a deputy's own action is not news to them)."""
    event = facts.event_type
    deputies = tuple(dict.fromkeys(facts.deputy_ids))
    notices: list[Notice] = []
    if event in (CaseSubmittedV2.event_type, CaseAssignedV2.event_type) and deputies:
        notices.append(Notice(Kind.case_routed, Audience.deputies, deputies, facts.urgent))
    elif event == "case.case.reminded.v1" and deputies:
        kind = Kind.case_chased if facts.stage == "chase" else Kind.case_reminder
        notices.append(Notice(kind, Audience.deputies, deputies, facts.urgent))
    elif event == "case.case.escalated.v1" and deputies:
        notices.append(Notice(Kind.case_escalated, Audience.deputies, deputies, facts.urgent))
    if event == "case.case.escalated.v1" and (facts.escalation_level or 0) >= OFFICE_LEVEL:
        notices.append(Notice(Kind.office_escalated, Audience.office, (), facts.urgent))
    elif event == "case.referral.answered.v1" and deputies:
        notices.append(Notice(Kind.referral_answered, Audience.deputies, deputies, facts.urgent))
    if event == "case.case.referred.v1" and facts.organisation:
        arrived = Notice(
            Kind.referral_arrived, Audience.organisation, organisation=facts.organisation, when=facts.due_at
        )
        notices.append(arrived)
    if event in FOLLOWER_STEPS and facts.tracking_code:
        notices.append(Notice(FOLLOWER_STEPS[event], Audience.followers, (), facts.urgent))
    return notices


def channels(kind: Kind, urgent: bool) -> frozenset[str]:
    """The channels a notice goes on to an account (a follower's anonymous device hears by push only): push;
    for deputies also SMS where `SMS_FOR_DEPUTIES` says or for an urgent case routed to them; SMS only for the
    kinds in `SMS_ONLY`; push and the in-app list for the kinds in `IN_APP`."""
    if kind in SMS_ONLY:
        return frozenset({"sms"})
    if kind in IN_APP:
        return frozenset({"push", "app"})
    if kind in DEPUTY_KINDS and (kind in SMS_FOR_DEPUTIES or (kind == Kind.case_routed and urgent)):
        return frozenset({"push", "sms"})
    return frozenset({"push"})


def screen_for(kind: Kind, case_id: str, tracking_code: str | None) -> str:
    """The PWA screen a notice opens: the deputy's case screen, their duty (sessions), the notifications list
    (an agency officer: the PWA has no screen of theirs yet, the list shows the notice), the office's case
    screen, or the villager's tracking page."""
    if kind == Kind.session_tomorrow:
        return "/deputy/duty"
    if kind in BOOKING_KINDS:
        return "/book"
    if kind == Kind.objection_raised:
        return "/office/review"
    if kind == Kind.suggestion_answered:
        return "/deputy/suggestions"
    if kind in SUGGESTION_KINDS:
        return "/office/suggestions"
    if kind in OFFICER_KINDS or kind == Kind.summary:
        return "/notifications"
    if kind == Kind.office_escalated:
        return f"/office/case/{case_id}"
    if kind in DEPUTY_KINDS:
        return f"/deputy/case/{case_id}"
    return f"/track/{tracking_code}" if tracking_code else "/"
