"""Lookups the use cases share: a grid or an assignment by id, the running assignments, a grid's open cases."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.grid.models import Assignment, Grid, GridCase
from shared.errors import Conflict, NotFound


async def get_grid(session: AsyncSession, grid_id: str) -> Grid:
    grid = await session.get(Grid, grid_id)
    if grid is None:
        raise NotFound("No grid {grid_id}.", params={"grid_id": grid_id}, rule="grid.not_found")
    return grid


async def active_grid(session: AsyncSession, grid_id: str) -> Grid:
    grid = await get_grid(session, grid_id)
    if grid.status != "active":
        raise Conflict("The grid is retired.", rule="grid.retired")
    return grid


async def get_assignment(session: AsyncSession, assignment_id: str) -> Assignment:
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("No assignment {assignment_id}.", params={"assignment_id": assignment_id})
    return assignment


async def active_assignments(session: AsyncSession, *conditions: Any) -> list[Assignment]:
    query = select(Assignment).where(Assignment.ends_on.is_(None), *conditions).order_by(Assignment.id)
    return list((await session.execute(query)).scalars())


async def open_case_count(session: AsyncSession, grid_id: str) -> int:
    """Open cases in the grid, from the projection of case events."""
    query = select(func.count()).select_from(GridCase).where(GridCase.grid_id == grid_id, GridCase.is_open)
    return (await session.execute(query)).scalar_one()
