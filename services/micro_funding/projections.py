"""This service's own copies of other services' facts, fed by events: grids (to find a project's village)
and villagers' cases (the evidence a proposal cites, with the deputies each is routed to now: a deputy cites only
their own); and a villager's erasure (logic.erasure). Handlers run inside the consumer's inbox transaction.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.logic.erasure import erase_person
from services.micro_funding.models import KnownCase, KnownGrid
from shared.db import upsert_newer
from shared.messaging.catalogue import (
    CaseAssignedV2,
    CaseSubmittedV2,
    CaseTransitioned,
    GridChanged,
    GridCreated,
    GridRetired,
    PersonErased,
)
from shared.projections import project_grid
from shared.service import ServiceRuntime


async def on_grid_created(session: AsyncSession, _: ServiceRuntime, payload: GridCreated) -> None:
    await project_grid(session, KnownGrid.__table__, payload)


async def on_grid_changed(session: AsyncSession, _: ServiceRuntime, payload: GridChanged) -> None:
    """A rename or move newer than what is known; stale ones are dropped by `version`."""
    await project_grid(session, KnownGrid.__table__, payload)


async def on_grid_retired(session: AsyncSession, _: ServiceRuntime, payload: GridRetired) -> None:
    await project_grid(session, KnownGrid.__table__, payload)


async def on_case_routed(session: AsyncSession, _: ServiceRuntime, payload: CaseSubmittedV2 | CaseAssignedV2) -> None:
    status = "assigned" if payload.assigned_deputy_ids else "submitted"
    row = _case_row(payload, status, payload.assigned_deputy_ids, payload.submitted_at)
    await _upsert_case(session, row)


async def on_case_transitioned(session: AsyncSession, _: ServiceRuntime, payload: CaseTransitioned) -> None:
    await _upsert_case(session, _case_row(payload, payload.to_status, payload.deputy_ids, payload.at))


def _case_row(
    payload: CaseSubmittedV2 | CaseAssignedV2 | CaseTransitioned, status: str, deputy_ids: list[str], at: datetime
) -> dict[str, object]:
    return {
        "id": payload.case_id,
        "grid_id": payload.grid_id,
        "kind": payload.kind,
        "category": payload.category,
        "status": status,
        "deputy_ids": ",".join(deputy_ids),
        "at": at,
    }


async def _upsert_case(session: AsyncSession, row: dict[str, object]) -> None:
    """Keep the newest status and routing; an older event arriving late (a redelivery) does not overwrite them."""
    await upsert_newer(session, KnownCase.__table__, [row], changes=("grid_id", "status", "deputy_ids"), stamp="at")


async def on_person_erased(session: AsyncSession, _: ServiceRuntime, payload: PersonErased) -> None:
    """Remove what micro-funding keeps under the person's account; keep that they objected and how they rated."""
    await erase_person(session, payload)
