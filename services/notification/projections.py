"""Other services' events: the grid tree (the grid's name a notice carries) and the case events people are
told of (logic/deciding.py turns each into delivery rows in the same inbox transaction; logic/scheduling.py
plans what waits for later and cancels what a step made needless), and a person's erasure
(logic/erasure.py)."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.logic.beyond_cases import decide_booking, decide_funding, decide_suggestion, remember_code
from services.notification.logic.contacts import finish_if_final, keep_contact
from services.notification.logic.deciding import decide_case_event
from services.notification.logic.erasure import erase_person
from services.notification.logic.scheduling import plan_case_event, plan_station_event
from services.notification.models import KnownGrid
from shared.messaging.catalogue import (
    CaseContactGiven,
    EventPayload,
    GridChanged,
    GridCreated,
    GridRetired,
    PersonErased,
    SessionCancelled,
    SessionScheduled,
)
from shared.projections import project_grid


async def on_grid_event(session: AsyncSession, runtime, payload: GridCreated | GridChanged | GridRetired) -> None:  # type: ignore[no-untyped-def]
    await project_grid(session, KnownGrid.__table__, payload)


async def on_case_event(session: AsyncSession, runtime, payload: EventPayload) -> None:  # type: ignore[no-untyped-def]
    await remember_code(session, payload)
    await decide_case_event(session, runtime, payload)
    await plan_case_event(session, runtime, payload)
    await finish_if_final(session, runtime, payload)


async def on_contact_given(session: AsyncSession, runtime, payload: CaseContactGiven) -> None:  # type: ignore[no-untyped-def]
    """A villager's number for SMS about their case (the private CONTACT stream)."""
    await keep_contact(session, runtime, payload)


async def on_station_event(session: AsyncSession, runtime, payload: EventPayload) -> None:  # type: ignore[no-untyped-def]
    """A session announced or cancelled: the reminder of its deputies on duty, the day before; a booking
    confirmed, promoted from the waitlist or cancelled with its session: the villager who booked."""
    if isinstance(payload, SessionScheduled | SessionCancelled):
        await plan_station_event(session, runtime, payload)
    await decide_booking(session, runtime, payload)


async def on_funding_event(session: AsyncSession, runtime, payload: EventPayload) -> None:  # type: ignore[no-untyped-def]
    """A micro-project approved or completed (its cases' followers), an objection to its notice (the office)."""
    await decide_funding(session, runtime, payload)


async def on_suggestion_event(session: AsyncSession, runtime, payload: EventPayload) -> None:  # type: ignore[no-untyped-def]
    """A deputies' suggestion assigned, due soon (its lead organisation's officers) or answered (its deputies)."""
    await decide_suggestion(session, runtime, payload)


async def on_person_erased(session: AsyncSession, runtime, payload: PersonErased) -> None:  # type: ignore[no-untyped-def]
    """The office erased a person (PIPL): what is kept here under the account or the number goes."""
    await erase_person(session, runtime, payload)
