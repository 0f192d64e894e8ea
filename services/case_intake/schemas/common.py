"""The words every case schema is written in: kinds, channels, ratings and the other closed lists, and the
shapes of a note and a reason."""

from enum import StrEnum

from shared.types import EntityId, distinct, text


class CaseKind(StrEnum):
    request = "request"
    dispute = "dispute"
    suggestion = "suggestion"
    opinion = "opinion"


class Channel(StrEnum):
    pwa = "pwa"
    phone = "phone"
    walk_in = "walk_in"
    field_visit = "field_visit"
    station = "station"
    open311 = "open311"


class ContactPreference(StrEnum):
    none = "none"
    phone = "phone"
    sms = "sms"
    visit = "visit"


class Rating(StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    unsatisfied = "unsatisfied"


class OutOfScope(StrEnum):
    litigation = "litigation"
    arbitration = "arbitration"
    discipline = "discipline"
    administrative_review = "administrative_review"
    petition = "petition"


class OrganisationKind(StrEnum):
    government = "government"
    court = "court"
    procuratorate = "procuratorate"
    party_committee = "party_committee"


class MediationOutcome(StrEnum):
    agreement = "agreement"
    no_agreement = "no_agreement"
    adjourned = "adjourned"


class SortOrder(StrEnum):
    newest = "newest"
    due = "due"


Note = text(400)
Reason = text(400, 1)
MAX_PHOTOS = 3


PhotoIds = distinct(EntityId, MAX_PHOTOS)


class VisitOutcome(StrEnum):
    confirmed = "confirmed"
    reopened = "reopened"


class VisitMethod(StrEnum):
    phone = "phone"
    in_person = "in_person"
