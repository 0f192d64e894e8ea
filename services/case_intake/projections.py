"""Case intake's copies of other services' facts: the grid tree and who answers for each grid (the routing table)
from the grid service, the issues a station reception raised that need a case, and the micro-projects that took
villagers' cases in (their stages go on the cases' timelines).

A deputy's suggestion that cites cases goes on their timelines (logic.suggestions).

The gateway's identity.person.erased.v1 erases a villager here too (logic.personal_data).

The grid tree is projected by version (shared.projections.project_grid): a stale or redelivered grid event never
overwrites a newer one. A new assignment routes the cases that were waiting for a deputy of their grid."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.logic import suggestions
from services.case_intake.logic.filing import open_station_issue, take_station_handover
from services.case_intake.logic.personal_data import erase_person
from services.case_intake.logic.projects import on_project_step as put_project_step
from services.case_intake.logic.routing import route_waiting_cases
from services.case_intake.models import KnownGrid, RoutingEntry
from services.case_intake.runtime import CaseRuntime
from shared.messaging.catalogue import (
    AssignmentEnded,
    AssignmentStarted,
    GridChanged,
    GridCreated,
    GridRetired,
    PersonErased,
    ProjectStepped,
    StationIssueHandedOver,
    StationIssueRaised,
    SuggestionAccepted,
    SuggestionAnswered,
    SuggestionCompleted,
    SuggestionMerged,
)
from shared.projections import project_grid


async def on_grid_created(session: AsyncSession, _: CaseRuntime, payload: GridCreated) -> None:
    await project_grid(session, KnownGrid.__table__, payload)


async def on_grid_changed(session: AsyncSession, _: CaseRuntime, payload: GridChanged) -> None:
    await project_grid(session, KnownGrid.__table__, payload)


async def on_grid_retired(session: AsyncSession, _: CaseRuntime, payload: GridRetired) -> None:
    await project_grid(session, KnownGrid.__table__, payload)


async def on_assignment_started(session: AsyncSession, runtime: CaseRuntime, payload: AssignmentStarted) -> None:
    await session.merge(
        RoutingEntry(
            assignment_id=payload.assignment_id,
            grid_id=payload.grid_id,
            deputy_id=payload.deputy_id,
            role=payload.role,
            active=True,
        )
    )
    await session.flush()
    await route_waiting_cases(session, runtime)


async def on_assignment_ended(session: AsyncSession, _: CaseRuntime, payload: AssignmentEnded) -> None:
    await session.execute(
        update(RoutingEntry).where(RoutingEntry.assignment_id == payload.assignment_id).values(active=False)
    )


async def on_station_issue_raised(session: AsyncSession, runtime: CaseRuntime, payload: StationIssueRaised) -> None:
    """An issue raised at a station reception that needs follow-up becomes a case under the id the station gave."""
    await open_station_issue(session, runtime, payload)


async def on_station_issue_handed_over(session: AsyncSession, _: CaseRuntime, payload: StationIssueHandedOver) -> None:
    """What was said at that reception, for the case's handlers only, and the villager who booked it as its filer
    (private stream RECEPTION: shared.messaging.catalogue.reception)."""
    await take_station_handover(session, payload)


async def on_person_erased(session: AsyncSession, runtime: CaseRuntime, payload: PersonErased) -> None:
    """A villager asked the office to erase them (PIPL): what is kept under their account or phone number goes,
    the anonymised cases stay counted (logic.personal_data)."""
    await erase_person(session, runtime, payload)


async def on_project_step(session: AsyncSession, _: CaseRuntime, payload: ProjectStepped) -> None:
    """A micro-project citing villagers' cases moved on: each cited case's timeline says so (logic.projects)."""
    await put_project_step(session, payload)


async def on_suggestion_accepted(session: AsyncSession, _: CaseRuntime, payload: SuggestionAccepted) -> None:
    """The office accepted a deputy's suggestion: the cases it cites show it on their timelines."""
    await suggestions.on_accepted(session, payload)


async def on_suggestion_merged(session: AsyncSession, _: CaseRuntime, payload: SuggestionMerged) -> None:
    """A suggestion merged into another: its cited cases are that one's now."""
    await suggestions.on_merged(session, payload)


async def on_suggestion_answered(session: AsyncSession, _: CaseRuntime, payload: SuggestionAnswered) -> None:
    await suggestions.on_answered(session, payload)


async def on_suggestion_completed(session: AsyncSession, _: CaseRuntime, payload: SuggestionCompleted) -> None:
    await suggestions.on_completed(session, payload)
