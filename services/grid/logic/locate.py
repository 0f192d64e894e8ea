"""Point → group grid: each process keeps a point index of the active group grids, rebuilt when the index
revision in the database moves (any replica changed a group's geometry or status)."""

import asyncio
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.grid.domain import geo
from services.grid.logic.grids import get_grid
from services.grid.models import Grid, IndexState
from shared.errors import NotFound
from shared.service import ServiceRuntime

INDEX_CHECK_SECONDS = 1.0
"""How long this process trusts its point index before asking the database whether another replica changed
a group's geometry; changes made by this process drop its index at once."""


@dataclass
class _CachedIndex:
    revision: int
    locator: geo.GridLocator
    checked: float


_INDEXES: "weakref.WeakKeyDictionary[ServiceRuntime, _CachedIndex]" = weakref.WeakKeyDictionary()
_INDEX_LOCKS: "weakref.WeakKeyDictionary[ServiceRuntime, asyncio.Lock]" = weakref.WeakKeyDictionary()


def forget_index(runtime: ServiceRuntime) -> None:
    _INDEXES.pop(runtime, None)


async def bump_index(session: AsyncSession, runtime: ServiceRuntime) -> None:
    """Tell every replica's point index that group geometry or status changed (rebuilt at next lookup)."""
    forget_index(runtime)
    result = await session.execute(
        update(IndexState).where(IndexState.id == 1).values(revision=IndexState.revision + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(IndexState(id=1, revision=1))


async def index_revision(session: AsyncSession) -> int:
    return (await session.execute(select(IndexState.revision).where(IndexState.id == 1))).scalar() or 0


async def _indexed_grids(session: AsyncSession) -> list[geo.IndexedGrid]:
    query = (
        select(Grid.id, Grid.boundary, Grid.centre_lat, Grid.centre_lon)
        .where(Grid.level == "group", Grid.status == "active")
        .order_by(Grid.code)
    )
    rows = (await session.execute(query)).all()
    return await asyncio.to_thread(_to_indexed, rows)


def _to_indexed(rows: Sequence[Any]) -> list[geo.IndexedGrid]:
    boundaries = geo.load_boundaries([row.boundary for row in rows])
    return [
        geo.IndexedGrid(row.id, (row.centre_lat, row.centre_lon) if row.centre_lat is not None else None, boundary)
        for row, boundary in zip(rows, boundaries, strict=True)
    ]


async def locator(session: AsyncSession, runtime: ServiceRuntime) -> geo.GridLocator:
    """This process's point index: rebuilt when the index revision moved (a grid's geometry or status changed)."""
    cached = _INDEXES.get(runtime)
    if cached and time.monotonic() - cached.checked < INDEX_CHECK_SECONDS:
        return cached.locator
    revision = await index_revision(session)
    if cached and cached.revision == revision:
        cached.checked = time.monotonic()
        return cached.locator
    lock = _INDEX_LOCKS.setdefault(runtime, asyncio.Lock())
    if cached and lock.locked():
        return cached.locator  # another request is rebuilding: answer from the index we have meanwhile
    async with lock:
        cached = _INDEXES.get(runtime)
        if cached is None or cached.revision != revision:
            built = await asyncio.to_thread(geo.GridLocator, await _indexed_grids(session))
            cached = _INDEXES[runtime] = _CachedIndex(revision, built, time.monotonic())
        return cached.locator


async def resolve_point(
    session: AsyncSession, runtime: ServiceRuntime, lat: float, lon: float
) -> tuple[Grid, geo.Located]:
    located = (await locator(session, runtime)).locate(lat, lon)
    if located is None:
        raise NotFound("No group grid has a boundary or a centre yet.")
    return await get_grid(session, located.grid_id), located
