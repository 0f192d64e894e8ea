"""deputy.deputy.* and deputy.visit.*: deputies and their field visits (published by deputy)."""

from datetime import date, datetime

from shared.messaging.catalogue.base import EventPayload


class DeputyRegistered(EventPayload):
    event_type = "deputy.deputy.registered.v1"
    deputy_id: str
    code: str
    name: str
    level: str
    district: str
    council_member: bool


class DeputyUpdated(EventPayload):
    """A deputy's public profile after a change (also sent right after registration, as version 1).

    Carries no contact details and no home coordinates: those are personal data kept by the deputy service.
    """

    event_type = "deputy.deputy.updated.v1"
    deputy_id: str
    code: str
    name: str
    level: str
    district: str
    council_member: bool
    organisation: str | None
    home_grid_id: str | None
    status: str
    version: int
    changed: list[str]


class DeputyRetired(EventPayload):
    """A deputy left office; the grid service ends their assignments."""

    event_type = "deputy.deputy.retired.v1"
    deputy_id: str
    code: str
    retired_on: date
    reason: str
    version: int


class VisitLogged(EventPayload):
    """A deputy logged a field visit, inspection, research visit or a visit to a supported household."""

    event_type = "deputy.visit.logged.v1"
    visit_id: str
    deputy_id: str
    kind: str
    grid_id: str | None
    occurred_at: datetime
    roles: list[str]


class SuggestionStepped(EventPayload):
    """A step of a deputies' suggestion (代表建议). Carries its title and who is on it, never its text nor the
    answer's words (read them at GET /suggestions/{id}, which hides one not for publication from the public).

    `deputy_ids` lists the lead first; `lead_organisation` and `co_organisations` are case intake's organisation
    codes once assigned; `due_at` is the running answer deadline, if any; `round` counts answers asked for (1,
    then 2 after one re-handling)."""

    suggestion_id: str
    title: str
    kind: str
    state: str
    deputy_ids: list[str]
    lead_organisation: str | None = None
    co_organisations: list[str] = []
    due_at: datetime | None = None
    round: int = 0
    public: bool = True
    at: datetime


class SuggestionSubmitted(SuggestionStepped):
    """The lead deputy submitted it (every co-signer signed) to the NPC office; `case_ids` are the villagers'
    cases it cites."""

    event_type = "deputy.suggestion.submitted.v1"
    case_ids: list[str] = []


class SuggestionReturned(SuggestionStepped):
    """The office returned it to the deputy with a reason (the deputy may edit and submit it again)."""

    event_type = "deputy.suggestion.returned.v1"
    reason: str


class SuggestionMerged(SuggestionStepped):
    """The office merged it into a similar suggestion (`into_id`), whose handling answers both. The cases it
    cited (`case_ids`) are cited by that one from now on; `into_title`, `into_public` and `into_accepted` say what
    their timelines may show of it (an accepted target cites them at once; a submitted one when it is accepted)."""

    event_type = "deputy.suggestion.merged.v1"
    into_id: str
    case_ids: list[str] = []
    into_title: str = ""
    into_public: bool = True
    into_accepted: bool = False


class SuggestionAccepted(SuggestionStepped):
    """The office accepted it (立案): a suggestion made, on each deputy's record of duty (五个一: one good
    suggestion) and in the statistics."""

    event_type = "deputy.suggestion.accepted.v1"
    case_ids: list[str] = []


class SuggestionAssigned(SuggestionStepped):
    """Assigned (or assigned again) to a lead organisation and co-organisations; the answer is due at `due_at`."""

    event_type = "deputy.suggestion.assigned.v1"
    broad: bool


class SuggestionReassignmentRequested(SuggestionStepped):
    """The lead organisation asked the office, within its first days, to assign it elsewhere."""

    event_type = "deputy.suggestion.reassignment_requested.v1"
    reason: str


class SuggestionAnswered(SuggestionStepped):
    """The lead organisation answered, in class solved, planned, cannot_now or reference; the deputies rate it."""

    event_type = "deputy.suggestion.answered.v1"
    answer_class: str
    promised_on: date | None = None


class SuggestionRated(SuggestionStepped):
    """The lead deputy rated the answer: satisfied, basically_satisfied or dissatisfied."""

    event_type = "deputy.suggestion.rated.v1"
    rating: str
    answer_class: str


class SuggestionRehandled(SuggestionStepped):
    """Rated dissatisfied, the office sent it back to the lead organisation with a new due date."""

    event_type = "deputy.suggestion.rehandled.v1"


class SuggestionCompleted(SuggestionStepped):
    """Handled to the end: rated, its planned measure reported done, or concluded by the office."""

    event_type = "deputy.suggestion.completed.v1"


class SuggestionReminded(SuggestionStepped):
    """An answer's deadline is near (stage `reminder`, to the lead organisation) or passed (stage `escalation`,
    to the NPC office, 督办)."""

    event_type = "deputy.suggestion.reminded.v1"
    stage: str


SUGGESTION_EVENTS: tuple[type[SuggestionStepped], ...] = (
    SuggestionSubmitted,
    SuggestionReturned,
    SuggestionMerged,
    SuggestionAccepted,
    SuggestionAssigned,
    SuggestionReassignmentRequested,
    SuggestionAnswered,
    SuggestionRated,
    SuggestionRehandled,
    SuggestionCompleted,
    SuggestionReminded,
)
