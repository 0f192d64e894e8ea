"""This service's own copies of other services' facts, fed by events: grids (to find a project's village)
and villagers' cases (the evidence a proposal cites). Handlers run inside the consumer's inbox transaction.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.models import KnownCase, KnownGrid
from shared.db import upsert_newer
from shared.messaging.catalogue import (
    CaseAssigned,
    CaseSubmitted,
    CaseTransitioned,
    GridChanged,
    GridCreated,
    GridRetired,
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


async def on_case_routed(session: AsyncSession, _: ServiceRuntime, payload: CaseSubmitted | CaseAssigned) -> None:
    status = "assigned" if payload.assigned_deputy_ids else "submitted"
    await _upsert_case(
        session, payload.case_id, payload.grid_id, payload.kind, payload.category, status, payload.submitted_at
    )


async def on_case_transitioned(session: AsyncSession, _: ServiceRuntime, payload: CaseTransitioned) -> None:
    await _upsert_case(
        session, payload.case_id, payload.grid_id, payload.kind, payload.category, payload.to_status, payload.at
    )


async def _upsert_case(
    session: AsyncSession, case_id: str, grid_id: str, kind: str, category: str, status: str, at: datetime
) -> None:
    """Keep the newest status; an older event arriving late (a redelivery) does not overwrite it."""
    row = {"id": case_id, "grid_id": grid_id, "kind": kind, "category": category, "status": status, "at": at}
    await upsert_newer(session, KnownCase.__table__, [row], changes=("grid_id", "status"), stamp="at")
