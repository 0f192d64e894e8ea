"""The demo city's grid tree and assignments, through the grid service's own use cases."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from devstack.demo import city as demo_city
from devstack.demo.progress import Progress
from services.grid.logic.assignments import start_assignment
from services.grid.logic.tree import create_grid
from services.grid.models import Grid, KnownDeputy
from services.grid.schemas import AssignmentCreate, GridCreate
from shared.clock import today
from shared.service import ServiceRuntime


def _demo_grid(item: demo_city.DemoGrid) -> GridCreate:
    return GridCreate.model_validate(
        {
            "code": item.code,
            "name": item.name,
            "level": item.level,
            "parent_id": item.parent_id,
            "district": item.district,
            "population": item.population,
            "households": item.households,
            "boundary": {"type": "Polygon", "coordinates": [[list(point) for point in item.ring]]},
        }
    )


async def _prime_deputies(session: AsyncSession) -> None:
    """The demo roster the deputy service registers too; its events confirm these rows when they arrive."""
    for deputy in demo_city.deputies():
        session.add(
            KnownDeputy(
                id=deputy.id,
                code=deputy.code,
                name=deputy.name,
                level=deputy.level,
                district=deputy.district,
                council_member=deputy.council_member,
                home_grid_id=demo_city.stable_id("grid:" + deputy.home_grid_code),
                status="active",
                version=0,
            )
        )
    await session.flush()


def _demo_assignments(start: date) -> list[tuple[str, AssignmentCreate]]:
    """(id, assignment): each deputy in their home group (原选区), each township's head from the council."""
    members = [
        (
            demo_city.stable_id(f"assignment:{deputy.code}:{deputy.home_grid_code}"),
            AssignmentCreate(
                grid_id=demo_city.stable_id("grid:" + deputy.home_grid_code), deputy_id=deputy.id, starts_on=start
            ),
        )
        for deputy in demo_city.deputies()
    ]
    heads = [
        (
            demo_city.stable_id(f"assignment:{head.code}:{township.code}"),
            AssignmentCreate(grid_id=township.id, deputy_id=head.id, role="grid_head", starts_on=start),
        )
        for township, head in demo_city.grid_heads()
    ]
    return members + heads


async def seed(
    session: AsyncSession, runtime: ServiceRuntime, *, start: date | None = None, progress: Progress | None = None
) -> int:
    """Load the reference city's grid and assignments once; returns how many grids were created."""
    if (await session.execute(select(Grid.id).limit(1))).first():
        return 0
    demo_grids = demo_city.grids()
    assignments = _demo_assignments(start or today(runtime).replace(month=1, day=1))
    steps = len(demo_grids) + len(assignments)
    if not await session.get(KnownDeputy, demo_city.deputies()[0].id):
        await _prime_deputies(session)
    for done, item in enumerate(demo_grids, start=1):
        await create_grid(session, runtime, _demo_grid(item), grid_id=item.id, is_demo=True)
        _tick(progress, done, steps)
    for done, (assignment_id, assignment) in enumerate(assignments, start=len(demo_grids) + 1):
        await start_assignment(session, runtime, assignment, assignment_id=assignment_id)
        _tick(progress, done, steps)
    return len(demo_grids)


def _tick(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)
