"""Deputy rules: registering deputies, and the inbox of cases projected from case events."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.models import Deputy, InboxCase
from services.deputy.schemas import DeputyCreate
from shared import demo_city
from shared.events.catalogue import CaseAssigned, CaseSubmitted, DeputyRegistered
from shared.pagination import PageParams, paginate
from shared.problems import Conflict, NotFound
from shared.service import ServiceRuntime


async def get_deputy(session: AsyncSession, deputy_id: str) -> Deputy:
    deputy = await session.get(Deputy, deputy_id)
    if deputy is None:
        raise NotFound(f"No deputy {deputy_id}.")
    return deputy


async def list_deputies(session: AsyncSession, params: PageParams, *, level: str | None = None):  # type: ignore[no-untyped-def]
    query = select(Deputy).order_by(Deputy.code)
    if level:
        query = query.where(Deputy.level == level)
    return await paginate(session, query, params)


async def register_deputy(
    session: AsyncSession,
    runtime: ServiceRuntime,
    data: DeputyCreate,
    *,
    deputy_id: str | None = None,
    is_demo: bool = False,
) -> Deputy:
    if (await session.execute(select(Deputy.id).where(Deputy.code == data.code))).first():
        raise Conflict(f"A deputy with code {data.code} is registered.")
    deputy = Deputy(
        id=deputy_id or str(uuid.uuid4()),
        status="active",
        is_demo=is_demo,
        created_at=datetime.now(UTC),
        **data.model_dump(),
    )
    session.add(deputy)
    await session.flush()
    await runtime.emit(
        session,
        DeputyRegistered(
            deputy_id=deputy.id,
            code=deputy.code,
            name=deputy.name,
            level=deputy.level,
            district=deputy.district,
            council_member=deputy.council_member,
        ),
        subject=deputy.id,
    )
    return deputy


async def inbox(session: AsyncSession, deputy_id: str, params: PageParams) -> tuple[list[InboxCase], int]:
    """The deputy's cases, the most urgent (earliest deadline) first."""
    query = (
        select(InboxCase).where(InboxCase.deputy_id == deputy_id).order_by(InboxCase.accept_due_at, InboxCase.case_id)
    )
    return await paginate(session, query, params)


async def on_case_routed(session: AsyncSession, _: ServiceRuntime, payload: CaseSubmitted | CaseAssigned) -> None:
    """A case submitted to, or later assigned to, deputies lands in each one's inbox."""
    for deputy_id in payload.assigned_deputy_ids:
        await session.merge(
            InboxCase(
                deputy_id=deputy_id,
                case_id=payload.case_id,
                tracking_code=payload.tracking_code,
                grid_id=payload.grid_id,
                kind=payload.kind,
                category=payload.category,
                summary=payload.summary,
                status="assigned",
                submitted_at=payload.submitted_at,
                accept_due_at=payload.accept_due_at,
            )
        )


async def seed_demo_deputies(session: AsyncSession, runtime: ServiceRuntime) -> int:
    if (await session.execute(select(Deputy.id).limit(1))).first():
        return 0
    roster = demo_city.deputies()
    for item in roster:
        await register_deputy(
            session,
            runtime,
            DeputyCreate(
                code=item.code,
                name=item.name,
                level=item.level,
                district=item.district,
                council_member=item.council_member,
            ),
            deputy_id=item.id,
            is_demo=True,
        )
    return len(roster)
