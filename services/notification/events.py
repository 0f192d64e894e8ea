"""The notification service publishes no events; it consumes the grid tree (names), the case events that
matter to people: routed or assigned to deputies, reminders and 催办, escalations, referral answers, and the
steps a filer hears of (accepted, referred, resolved, rejected, reopened), and the steps that end a case's wait
for its deputies (returned, withdrawn, merged) or a referral (an answer sent back: a new due date); reception
sessions announced and cancelled (the reminder of the deputies on duty); a person's erasure; and the numbers
villagers gave for SMS about their cases (CONTACT, which only this service reads); a villager's bookings
confirmed, promoted from the waitlist or cancelled with their session; micro-projects approved and completed
(the followers of the cases they answer) and objections to their public notice (the office); deputies'
suggestions assigned, due soon and answered (logic/beyond_cases.py)."""

from services.notification import projections
from shared.messaging.catalogue import (
    BookingMade,
    BookingPromoted,
    CaseAccepted,
    CaseAssignedV2,
    CaseClosed,
    CaseContactGiven,
    CaseEscalated,
    CaseMerged,
    CaseReferred,
    CaseRejected,
    CaseReminded,
    CaseReopened,
    CaseResolved,
    CaseReturned,
    CaseSubmittedV2,
    CaseWithdrawn,
    GridChanged,
    GridCreated,
    GridRetired,
    ObjectionRaised,
    PersonErased,
    ProjectApproved,
    ProjectCompleted,
    ReferralAnswered,
    ReferralReturned,
    SessionCancelled,
    SessionScheduled,
    SuggestionAnswered,
    SuggestionAssigned,
    SuggestionRehandled,
    SuggestionReminded,
)
from shared.messaging.inbox import Handler

CASE_EVENTS = (
    CaseSubmittedV2,
    CaseAssignedV2,
    CaseReminded,
    CaseEscalated,
    ReferralAnswered,
    CaseAccepted,
    CaseReferred,
    CaseResolved,
    CaseRejected,
    CaseReopened,
    CaseReturned,  # these three only end a wait (logic/scheduling.py)
    CaseWithdrawn,
    CaseMerged,
    CaseClosed,  # with withdrawn and merged: the villager's SMS number is kept one more day
    ReferralReturned,  # a new due date: the officers' reminder the day before
)

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {
    "GRID": {
        GridCreated.event_type: projections.on_grid_event,
        GridChanged.event_type: projections.on_grid_event,
        GridRetired.event_type: projections.on_grid_event,
    },
    "CASE": {payload.event_type: projections.on_case_event for payload in CASE_EVENTS},
    "IDENTITY": {PersonErased.event_type: projections.on_person_erased},
    "CONTACT": {CaseContactGiven.event_type: projections.on_contact_given},
    "STATION": {
        SessionScheduled.event_type: projections.on_station_event,
        SessionCancelled.event_type: projections.on_station_event,
        BookingMade.event_type: projections.on_station_event,
        BookingPromoted.event_type: projections.on_station_event,
    },
    "FUNDING": {
        ProjectApproved.event_type: projections.on_funding_event,
        ProjectCompleted.event_type: projections.on_funding_event,
        ObjectionRaised.event_type: projections.on_funding_event,
    },
    "DEPUTY": {
        payload.event_type: projections.on_suggestion_event
        for payload in (SuggestionAssigned, SuggestionRehandled, SuggestionReminded, SuggestionAnswered)
    },
}
