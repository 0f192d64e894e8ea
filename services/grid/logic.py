"""Grid rules: the tree's shape, and assignments that publish who answers for which grid."""

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.grid.models import Assignment, Grid
from services.grid.schemas import AssignmentCreate, GridCreate
from shared import demo_city
from shared.events.catalogue import AssignmentStarted, GridCreated
from shared.pagination import PageParams, paginate
from shared.problems import Conflict, NotFound, Unprocessable
from shared.service import ServiceRuntime

PARENT_LEVEL = {"township": None, "village": "township", "group": "village"}


async def get_grid(session: AsyncSession, grid_id: str) -> Grid:
    grid = await session.get(Grid, grid_id)
    if grid is None:
        raise NotFound(f"No grid {grid_id}.")
    return grid


async def list_grids(
    session: AsyncSession, params: PageParams, *, level: str | None = None, parent_id: str | None = None
) -> tuple[list[Grid], int]:
    query = select(Grid).order_by(Grid.code)
    if level:
        query = query.where(Grid.level == level)
    if parent_id:
        query = query.where(Grid.parent_id == parent_id)
    return await paginate(session, query, params)


async def create_grid(
    session: AsyncSession,
    runtime: ServiceRuntime,
    data: GridCreate,
    *,
    grid_id: str | None = None,
    is_demo: bool = False,
) -> Grid:
    expected_parent = PARENT_LEVEL[data.level]
    parent = await get_grid(session, data.parent_id) if data.parent_id else None
    if (parent.level if parent else None) != expected_parent:
        raise Unprocessable(f"A {data.level} grid must have a {expected_parent or 'no'} parent.")
    if (await session.execute(select(Grid.id).where(Grid.code == data.code))).first():
        raise Conflict(f"A grid with code {data.code} exists.")
    grid = Grid(id=grid_id or str(uuid.uuid4()), is_demo=is_demo, created_at=datetime.now(UTC), **data.model_dump())
    session.add(grid)
    await session.flush()
    await runtime.emit(
        session,
        GridCreated(grid_id=grid.id, code=grid.code, name=grid.name, level=grid.level, parent_id=grid.parent_id),
        subject=grid.id,
    )
    return grid


async def start_assignment(
    session: AsyncSession, runtime: ServiceRuntime, data: AssignmentCreate, *, assignment_id: str | None = None
) -> Assignment:
    await get_grid(session, data.grid_id)
    assignment = Assignment(
        id=assignment_id or str(uuid.uuid4()), ends_on=None, created_at=datetime.now(UTC), **data.model_dump()
    )
    session.add(assignment)
    await session.flush()
    await runtime.emit(
        session,
        AssignmentStarted(
            assignment_id=assignment.id,
            grid_id=assignment.grid_id,
            deputy_id=assignment.deputy_id,
            role=assignment.role,
            basis=assignment.basis,
            starts_on=assignment.starts_on,
        ),
        subject=assignment.grid_id,
    )
    return assignment


async def list_assignments(
    session: AsyncSession, params: PageParams, *, grid_id: str | None = None, deputy_id: str | None = None
) -> tuple[list[Assignment], int]:
    query = select(Assignment).order_by(Assignment.created_at, Assignment.id)
    if grid_id:
        query = query.where(Assignment.grid_id == grid_id)
    if deputy_id:
        query = query.where(Assignment.deputy_id == deputy_id)
    return await paginate(session, query, params)


async def seed_demo_city(session: AsyncSession, runtime: ServiceRuntime, *, start: date | None = None) -> int:
    """Load the reference city's grid and assignments once; returns how many grids were created."""
    start = start or datetime.now(UTC).date().replace(month=1, day=1)
    if (await session.execute(select(Grid.id).limit(1))).first():
        return 0
    demo_grids = demo_city.grids()
    for item in demo_grids:
        await create_grid(
            session,
            runtime,
            GridCreate(code=item.code, name=item.name, level=item.level, parent_id=item.parent_id),
            grid_id=item.id,
            is_demo=True,
        )
    townships = [item for item in demo_grids if item.level == "township"]
    for deputy in demo_city.deputies():
        await start_assignment(
            session,
            runtime,
            AssignmentCreate(
                grid_id=demo_city.stable_id("grid:" + deputy.home_grid_code), deputy_id=deputy.id, starts_on=start
            ),
            assignment_id=demo_city.stable_id(f"assignment:{deputy.code}:{deputy.home_grid_code}"),
        )
    heads = [deputy for deputy in demo_city.deputies() if deputy.council_member][: len(townships)]
    for township, head in zip(townships, heads, strict=True):
        await start_assignment(
            session,
            runtime,
            AssignmentCreate(grid_id=township.id, deputy_id=head.id, role="grid_head", starts_on=start),
            assignment_id=demo_city.stable_id(f"assignment:{head.code}:{township.code}"),
        )
    return len(demo_grids)
