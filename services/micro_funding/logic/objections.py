"""Objections during the public notice: anyone may object, signed in or not (the objector is never shown);
the NPC office upholds one (the project goes back to its deputy's draft) or dismisses it."""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.domain import stages
from services.micro_funding.logic.projects import get_project, take_step
from services.micro_funding.models import Objection
from services.micro_funding.schemas import ObjectionCreate, ObjectionRuling
from shared.auth import Principal, Role
from shared.errors import Conflict, NotFound
from shared.service import ServiceRuntime


async def raise_objection(
    session: AsyncSession,
    runtime: ServiceRuntime,
    principal: Principal | None,
    project_id: str,
    data: ObjectionCreate,
) -> Objection:
    """Anyone may object during the public notice, signed in or not; the objector is never shown."""
    project = await get_project(session, project_id)
    stages.check_objection_open(project.status, project.notice_ends_at, runtime.clock.now())
    objection = Objection(
        id=str(uuid.uuid4()),
        project_id=project.id,
        text=data.text,
        objector=principal.subject[:64] if principal else None,
        status="pending",
        ruling=None,
        raised_at=runtime.clock.now(),
        ruled_at=None,
    )
    session.add(objection)
    await session.flush()
    return objection


async def rule_objection(
    session: AsyncSession,
    runtime: ServiceRuntime,
    principal: Principal,
    project_id: str,
    objection_id: str,
    data: ObjectionRuling,
) -> Objection:
    """The NPC office upholds an objection (the project goes back to draft) or dismisses it."""
    principal.require(Role.npc_office)
    project = await get_project(session, project_id, lock=True)
    objection = await session.get(Objection, objection_id)
    if objection is None or objection.project_id != project.id:
        raise NotFound(f"No objection {objection_id} to project {project_id}.")
    if objection.status != "pending":
        raise Conflict(f"This objection was already {objection.status}.")
    now = runtime.clock.now()
    objection.status, objection.ruling, objection.ruled_at = ("upheld" if data.upheld else "dismissed"), data.note, now
    if data.upheld:
        await take_step(session, runtime, principal, project, "return", data.note)
        project.status_reason, project.notice_ends_at = data.note, None
        await _close_pending(session, project.id, now)
    await session.flush()
    return objection


async def _close_pending(session: AsyncSession, project_id: str, now: datetime) -> None:
    pending = await session.execute(
        select(Objection).where(Objection.project_id == project_id, Objection.status == "pending")
    )
    for other in pending.scalars():
        other.status, other.ruling, other.ruled_at = "closed", "The project went back to its deputy's draft.", now
