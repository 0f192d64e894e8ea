"""Grid rules: the tree and its history, assignments, coverage, and point → grid.

Retiring: a grid with open cases (from its projection of case events) or with active children cannot be
retired; retiring ends its active assignments first, each with an assignment-ended event.
"""

import asyncio
import json
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.grid import geo, names
from services.grid.coverage import Candidate, CandidatePool, Ranked
from services.grid.models import Assignment, Grid, GridCase, GridChange, IndexState, KnownDeputy
from services.grid.schemas import AssignmentCreate, AssignmentEnd, GridCreate, GridRetire, GridUpdate
from shared.clock import today
from shared.db import upsert_newer
from shared.errors import Conflict, NotFound, Unprocessable
from shared.messaging.catalogue import (
    AssignmentEnded,
    AssignmentStarted,
    CaseAssigned,
    CaseSubmitted,
    CaseTransitioned,
    DeputyRegistered,
    DeputyRetired,
    DeputyUpdated,
    GridChanged,
    GridCreated,
    GridRetired,
)
from shared.pagination import PageParams, paginate
from shared.service import ServiceRuntime
from shared.types import LatLon

PARENT_LEVEL = {"township": None, "village": "township", "group": "village"}
LEVEL_ORDER = {"township": 0, "village": 1, "group": 2}
CLOSED_CASE_STATUSES = frozenset({"closed", "withdrawn", "rejected", "merged"})
SYSTEM = "system"
Progress = Callable[[int, int], None]


# --- the tree ------------------------------------------------------------------------------------------


async def get_grid(session: AsyncSession, grid_id: str) -> Grid:
    grid = await session.get(Grid, grid_id)
    if grid is None:
        raise NotFound(f"No grid {grid_id}.")
    return grid


def _search(query, text: str):  # type: ignore[no-untyped-def]
    """Name contains the text, or its pinyin or initials contain the typed letters ('xsc' finds 湘韶村)."""
    conditions = [Grid.name.contains(text, autoescape=True)]
    if key := names.query_key(text):
        conditions += [
            Grid.name_pinyin.contains(key, autoescape=True),
            Grid.name_initials.contains(key, autoescape=True),
        ]
    level_rank = case(*[(Grid.level == level, rank) for level, rank in LEVEL_ORDER.items()], else_=3)
    return query.where(or_(*conditions)).order_by(None).order_by(level_rank, Grid.code)


async def list_grids(
    session: AsyncSession,
    params: PageParams,
    *,
    level: str | None = None,
    parent_id: str | None = None,
    q: str | None = None,
    include_retired: bool = False,
) -> tuple[list[Grid], int]:
    query = select(Grid).order_by(Grid.code)
    if level:
        query = query.where(Grid.level == level)
    if parent_id:
        query = query.where(Grid.parent_id == parent_id)
    if not include_retired:
        query = query.where(Grid.status == "active")
    if q:
        query = _search(query, q)
    return await paginate(session, query, params)


async def _check_parent(session: AsyncSession, level: str, parent_id: str | None) -> Grid | None:
    expected = PARENT_LEVEL[level]
    parent = await get_grid(session, parent_id) if parent_id else None
    if (parent.level if parent else None) != expected:
        raise Unprocessable(f"A {level} grid must have a {expected or 'no'} parent.")
    if parent is not None and parent.status != "active":
        raise Unprocessable("The parent grid is retired.")
    return parent


def _check_kind(level: str, kind: str | None, name: str) -> str:
    if kind is None:
        return names.default_kind(level, name)
    if kind not in names.KINDS[level]:
        raise Unprocessable(f"A {level} grid is one of: {', '.join(names.KINDS[level])}.")
    return kind


def _geometry(boundary: Any) -> Any:
    try:
        return geo.boundary_geometry(boundary.model_dump())
    except geo.BoundaryError as error:
        raise Unprocessable(f"The boundary is {error}.") from error


def _place(grid: Grid, fields: set[str], boundary: Any, centre: LatLon | None) -> None:
    """Set what of boundary and centre `fields` names. A new boundary without a centre gets a centre inside it;
    a removed boundary keeps the centre; a removed centre falls back to the boundary's."""
    if "boundary" in fields:
        geometry = _geometry(boundary) if boundary is not None else None
        grid.boundary = geo.boundary_text(geometry) if geometry is not None else None
    else:
        geometry = geo.load_boundary(grid.boundary)
    if centre is not None:
        grid.centre_lat, grid.centre_lon = centre.lat, centre.lon
    elif geometry is not None and ("centre" in fields or boundary is not None):
        grid.centre_lat, grid.centre_lon = geo.inner_centre(geometry)
    elif "centre" in fields:
        grid.centre_lat = grid.centre_lon = None


def _set_name(grid: Grid, name: str) -> None:
    grid.name = name
    grid.name_pinyin, grid.name_initials = names.search_keys(name)


def _snapshot(grid: Grid, fields: list[str]) -> dict[str, Any]:
    values = {field: getattr(grid, field) for field in fields}
    if values.get("boundary"):
        values["boundary"] = json.loads(values["boundary"])
    return values


def _history(session: AsyncSession, grid: Grid, action: str, changes: dict, reason: str, actor: str) -> None:
    session.add(
        GridChange(
            id=str(uuid.uuid4()),
            grid_id=grid.id,
            version=grid.version,
            action=action,
            changes=json.dumps(changes, ensure_ascii=False),
            reason=reason,
            actor=actor[:64],
            at=datetime.now(UTC),
        )
    )


async def bump_index(session: AsyncSession, runtime: ServiceRuntime) -> None:
    """Tell every replica's point index that group geometry or status changed (rebuilt at next lookup)."""
    forget_index(runtime)
    result = await session.execute(
        update(IndexState).where(IndexState.id == 1).values(revision=IndexState.revision + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(IndexState(id=1, revision=1))


async def create_grid(
    session: AsyncSession,
    runtime: ServiceRuntime,
    data: GridCreate,
    *,
    grid_id: str | None = None,
    is_demo: bool = False,
    actor: str = SYSTEM,
) -> Grid:
    await _check_parent(session, data.level, data.parent_id)
    if (await session.execute(select(Grid.id).where(Grid.code == data.code))).first():
        raise Conflict(f"A grid with code {data.code} exists.")
    grid = Grid(
        id=grid_id or str(uuid.uuid4()),
        code=data.code,
        level=data.level,
        kind=_check_kind(data.level, data.kind, data.name),
        parent_id=data.parent_id,
        district=data.district,
        population=data.population,
        households=data.households,
        status="active",
        version=1,
        is_demo=is_demo,
        created_at=datetime.now(UTC),
    )
    _set_name(grid, data.name)
    _place(grid, {"boundary", "centre"} & data.model_fields_set, data.boundary, data.centre)
    session.add(grid)
    await session.flush()
    _history(session, grid, "created", _snapshot(grid, CHANGEABLE), "", actor)
    if grid.level == "group":
        await bump_index(session, runtime)
    await runtime.emit(
        session,
        GridCreated(grid_id=grid.id, code=grid.code, name=grid.name, level=grid.level, parent_id=grid.parent_id),
        subject=grid.id,
    )
    return grid


CHANGEABLE = [
    "name",
    "kind",
    "parent_id",
    "district",
    "population",
    "households",
    "boundary",
    "centre_lat",
    "centre_lon",
]
GEOMETRY = {"boundary", "centre_lat", "centre_lon"}


async def _apply_update(session: AsyncSession, grid: Grid, data: GridUpdate) -> None:
    fields = data.model_fields_set
    if "name" in fields and data.name is not None:
        if grid.kind == names.default_kind(grid.level, grid.name):  # a kind set by hand survives a rename
            grid.kind = names.default_kind(grid.level, data.name)
        _set_name(grid, data.name)
    if "kind" in fields:
        grid.kind = _check_kind(grid.level, data.kind, grid.name)
    if "parent_id" in fields and data.parent_id != grid.parent_id:
        await _check_parent(session, grid.level, data.parent_id)
        grid.parent_id = data.parent_id
    for field in ("district", "population", "households"):
        if field in fields:
            setattr(grid, field, getattr(data, field))
    if geometry := {"boundary", "centre"} & fields:
        _place(grid, geometry, data.boundary, data.centre)


def _action(changed: list[str]) -> str:
    if "parent_id" in changed:
        return "moved"
    return "renamed" if changed == ["name"] or set(changed) == {"name", "kind"} else "updated"


async def update_grid(
    session: AsyncSession, runtime: ServiceRuntime, grid_id: str, data: GridUpdate, *, actor: str
) -> Grid:
    """Rename, move or change a grid; a change is kept in its history and published as grid changed."""
    grid = await _active_grid(session, grid_id)
    before = _snapshot(grid, CHANGEABLE)
    await _apply_update(session, grid, data)
    after = _snapshot(grid, CHANGEABLE)
    changed = [field for field in CHANGEABLE if before[field] != after[field]]
    if not changed:
        return grid
    grid.version += 1
    grid.updated_at = datetime.now(UTC)
    _history(session, grid, _action(changed), {f: [before[f], after[f]] for f in changed}, data.reason, actor)
    if grid.level == "group" and GEOMETRY & set(changed):
        await bump_index(session, runtime)
    await runtime.emit(session, _changed_event(grid, changed), subject=grid.id)
    await session.flush()
    return grid


def _changed_event(grid: Grid, changed: list[str]) -> GridChanged:
    return GridChanged(
        grid_id=grid.id,
        code=grid.code,
        name=grid.name,
        level=grid.level,
        kind=grid.kind,
        parent_id=grid.parent_id,
        district=grid.district,
        population=grid.population,
        households=grid.households,
        centre_lat=grid.centre_lat,
        centre_lon=grid.centre_lon,
        has_boundary=grid.boundary is not None,
        changed=changed,
        version=grid.version,
        at=grid.updated_at or datetime.now(UTC),
    )


async def _active_grid(session: AsyncSession, grid_id: str) -> Grid:
    grid = await get_grid(session, grid_id)
    if grid.status != "active":
        raise Conflict("The grid is retired.")
    return grid


async def open_case_count(session: AsyncSession, grid_id: str) -> int:
    query = select(func.count()).select_from(GridCase).where(GridCase.grid_id == grid_id, GridCase.is_open)
    return (await session.execute(query)).scalar_one()


async def _check_may_retire(session: AsyncSession, grid: Grid) -> None:
    children = select(func.count()).select_from(Grid).where(Grid.parent_id == grid.id, Grid.status == "active")
    if count := (await session.execute(children)).scalar_one():
        raise Conflict(f"The grid has {count} active child grids: move or retire them first.")
    if count := await open_case_count(session, grid.id):
        raise Conflict(f"The grid has {count} open cases: they must be closed first.")


async def retire_grid(
    session: AsyncSession, runtime: ServiceRuntime, grid_id: str, data: GridRetire, *, actor: str
) -> Grid:
    """Retire a grid with no open work: its assignments end, its history and code stay."""
    grid = await _active_grid(session, grid_id)
    await _check_may_retire(session, grid)
    for assignment in await _active_assignments(session, Assignment.grid_id == grid.id):
        await _end(session, runtime, assignment, data.retired_on, f"grid retired: {data.reason}")
    grid.status, grid.retired_on = "retired", data.retired_on
    grid.version += 1
    grid.updated_at = datetime.now(UTC)
    _history(session, grid, "retired", {"status": ["active", "retired"]}, data.reason, actor)
    if grid.level == "group":
        await bump_index(session, runtime)
    event = GridRetired(
        grid_id=grid.id,
        code=grid.code,
        level=grid.level,
        parent_id=grid.parent_id,
        retired_on=data.retired_on,
        reason=data.reason,
        version=grid.version,
    )
    await runtime.emit(session, event, subject=grid.id)
    await session.flush()
    return grid


async def history(session: AsyncSession, grid_id: str, params: PageParams) -> tuple[list[GridChange], int]:
    await get_grid(session, grid_id)
    query = select(GridChange).where(GridChange.grid_id == grid_id).order_by(GridChange.version, GridChange.at)
    return await paginate(session, query, params)


# --- point → group grid ---------------------------------------------------------------------------------

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


def _to_indexed(rows: list) -> list[geo.IndexedGrid]:  # type: ignore[type-arg]
    boundaries = geo.load_boundaries([row.boundary for row in rows])
    return [
        geo.IndexedGrid(row.id, (row.centre_lat, row.centre_lon) if row.centre_lat is not None else None, boundary)
        for row, boundary in zip(rows, boundaries, strict=True)
    ]


def forget_index(runtime: ServiceRuntime) -> None:
    _INDEXES.pop(runtime, None)


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


# --- assignments ----------------------------------------------------------------------------------------


async def _active_assignments(session: AsyncSession, *conditions: Any) -> list[Assignment]:
    query = select(Assignment).where(Assignment.ends_on.is_(None), *conditions).order_by(Assignment.id)
    return list((await session.execute(query)).scalars())


async def _check_assignment(session: AsyncSession, grid: Grid, data: AssignmentCreate) -> None:
    deputy = await session.get(KnownDeputy, data.deputy_id)
    if deputy is not None and deputy.status != "active":
        raise Conflict("The deputy is retired.")
    if data.role == "grid_head" and grid.level == "township" and not (deputy and deputy.council_member):
        known = "" if deputy else " (this deputy is not known here yet)"
        raise Unprocessable(f"A township's grid head must be a member of the chairpersons' council{known}.")
    if data.role == "grid_head" and await _active_assignments(
        session, Assignment.grid_id == grid.id, Assignment.role == "grid_head"
    ):
        raise Conflict("The grid has a grid head: end that assignment first.")
    if await _active_assignments(session, Assignment.grid_id == grid.id, Assignment.deputy_id == data.deputy_id):
        raise Conflict("The deputy is already assigned to this grid.")


async def start_assignment(
    session: AsyncSession, runtime: ServiceRuntime, data: AssignmentCreate, *, assignment_id: str | None = None
) -> Assignment:
    """Place a deputy in a grid. A deputy not yet known here (events lag) may be a member, never a township head."""
    grid = await _active_grid(session, data.grid_id)
    await _check_assignment(session, grid, data)
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


async def _end(session: AsyncSession, runtime: ServiceRuntime, assignment: Assignment, on: date, reason: str) -> None:
    assignment.ends_on = max(on, assignment.starts_on)
    assignment.end_reason = reason[:500]
    await runtime.emit(
        session,
        AssignmentEnded(
            assignment_id=assignment.id,
            grid_id=assignment.grid_id,
            deputy_id=assignment.deputy_id,
            ends_on=assignment.ends_on,
        ),
        subject=assignment.grid_id,
    )


async def get_assignment(session: AsyncSession, assignment_id: str) -> Assignment:
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(f"No assignment {assignment_id}.")
    return assignment


async def end_assignment(
    session: AsyncSession, runtime: ServiceRuntime, assignment_id: str, data: AssignmentEnd
) -> Assignment:
    assignment = await get_assignment(session, assignment_id)
    if assignment.ends_on is not None:
        raise Conflict("The assignment has ended.")
    if data.ends_on < assignment.starts_on or data.ends_on > today(runtime):
        raise Unprocessable("The end date must lie between the start date and today.")
    await _end(session, runtime, assignment, data.ends_on, data.reason)
    await session.flush()
    return assignment


async def list_assignments(
    session: AsyncSession,
    params: PageParams,
    *,
    grid_id: str | None = None,
    deputy_id: str | None = None,
    active: bool | None = None,
) -> tuple[list[Assignment], int]:
    query = select(Assignment).order_by(Assignment.created_at, Assignment.id)
    if grid_id:
        query = query.where(Assignment.grid_id == grid_id)
    if deputy_id:
        query = query.where(Assignment.deputy_id == deputy_id)
    if active is not None:
        query = query.where(Assignment.ends_on.is_(None) if active else Assignment.ends_on.is_not(None))
    return await paginate(session, query, params)


# --- coverage (全覆盖) -----------------------------------------------------------------------------------


def _covered():  # type: ignore[no-untyped-def]
    return select(Assignment.grid_id).where(Assignment.ends_on.is_(None))


def _uncovered_groups(township_id: str | None):  # type: ignore[no-untyped-def]
    query = (
        select(Grid)
        .where(Grid.level == "group", Grid.status == "active", Grid.id.not_in(_covered()))
        .order_by(Grid.code)
    )
    if township_id:
        village = aliased(Grid)
        query = query.join(village, village.id == Grid.parent_id).where(village.parent_id == township_id)
    return query


async def _count(session: AsyncSession, query) -> int:  # type: ignore[no-untyped-def]
    return (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()


async def _townships_without_head(session: AsyncSession) -> list[Grid]:
    heads = select(Assignment.grid_id).where(Assignment.ends_on.is_(None), Assignment.role == "grid_head")
    query = select(Grid).where(Grid.level == "township", Grid.status == "active", Grid.id.not_in(heads))
    return list((await session.execute(query.order_by(Grid.code))).scalars())


async def _candidate_pool(session: AsyncSession) -> CandidatePool:
    load = (
        select(Assignment.deputy_id, func.count().label("load"))
        .where(Assignment.ends_on.is_(None))
        .group_by(Assignment.deputy_id)
        .subquery()
    )
    query = (
        select(KnownDeputy, Grid.centre_lat, Grid.centre_lon, load.c.load)
        .outerjoin(Grid, Grid.id == KnownDeputy.home_grid_id)
        .outerjoin(load, load.c.deputy_id == KnownDeputy.id)
        .where(KnownDeputy.status == "active")
    )
    return CandidatePool(
        [
            Candidate(d.id, d.code, d.name, d.district, (lat, lon) if lat is not None else None, load or 0)
            for d, lat, lon, load in (await session.execute(query)).all()
        ]
    )


async def _ancestors(session: AsyncSession, grids: list[Grid]) -> dict[str, Grid]:
    known: dict[str, Grid] = {}
    wanted = {grid.parent_id for grid in grids if grid.parent_id}
    while wanted:
        rows = (await session.execute(select(Grid).where(Grid.id.in_(wanted)))).scalars().all()
        known.update({row.id: row for row in rows})
        wanted = {row.parent_id for row in rows if row.parent_id and row.parent_id not in known}
    return known


def effective_district(grid: Grid, ancestors: dict[str, Grid]) -> str | None:
    """The grid's electoral district, or its nearest ancestor's."""
    current: Grid | None = grid
    while current is not None:
        if current.district:
            return current.district
        current = ancestors.get(current.parent_id) if current.parent_id else None
    return None


def _centre(grid: Grid, ancestors: dict[str, Grid]) -> tuple[float, float] | None:
    current: Grid | None = grid
    while current is not None:
        if current.centre_lat is not None and current.centre_lon is not None:
            return current.centre_lat, current.centre_lon
        current = ancestors.get(current.parent_id) if current.parent_id else None
    return None


async def coverage(
    session: AsyncSession, params: PageParams, *, township_id: str | None = None, suggestions: int = 3
) -> dict[str, Any]:
    """Uncovered group grids, each with deputies to suggest, and the figures of the whole city."""
    groups = select(Grid.id).where(Grid.level == "group", Grid.status == "active")
    grids, total = await paginate(session, _uncovered_groups(township_id), params)
    ancestors = await _ancestors(session, grids)
    pool = await _candidate_pool(session) if grids else CandidatePool([])
    items = []
    for grid in grids:
        district = effective_district(grid, ancestors)
        ranked = pool.rank(district, _centre(grid, ancestors), suggestions)
        items.append({"grid": grid, "district": district, "suggestions": [_suggestion(item) for item in ranked]})
    return {
        "items": items,
        "total": total,
        "groups_total": await _count(session, groups),
        "groups_covered": await _count(session, groups.where(Grid.id.in_(_covered()))),
        "townships_without_head": await _townships_without_head(session),
    }


def _suggestion(ranked: Ranked) -> dict[str, Any]:
    deputy = ranked.candidate
    return {
        "deputy_id": deputy.deputy_id,
        "code": deputy.code,
        "name": deputy.name,
        "district": deputy.district,
        "reason": ranked.reason,
        "distance_m": ranked.distance_m,
        "active_assignments": deputy.load,
    }


# --- what other services tell us ------------------------------------------------------------------------


async def on_deputy_registered(session: AsyncSession, _: ServiceRuntime, payload: DeputyRegistered) -> None:
    deputy = await session.get(KnownDeputy, payload.deputy_id)
    if deputy is not None and deputy.version > 0:
        return  # a newer profile (deputy.deputy.updated) got here first
    deputy = deputy or KnownDeputy(id=payload.deputy_id, status="active", version=0)
    deputy.code, deputy.name, deputy.level = payload.code, payload.name, payload.level
    deputy.district, deputy.council_member = payload.district, payload.council_member
    session.add(deputy)


async def on_deputy_updated(session: AsyncSession, _: ServiceRuntime, payload: DeputyUpdated) -> None:
    deputy = await session.get(KnownDeputy, payload.deputy_id)
    if deputy is not None and deputy.version >= payload.version:
        return  # stale
    deputy = deputy or KnownDeputy(id=payload.deputy_id)
    deputy.code, deputy.name, deputy.level = payload.code, payload.name, payload.level
    deputy.district, deputy.council_member = payload.district, payload.council_member
    deputy.home_grid_id, deputy.status, deputy.version = payload.home_grid_id, payload.status, payload.version
    session.add(deputy)


async def on_deputy_retired(session: AsyncSession, runtime: ServiceRuntime, payload: DeputyRetired) -> None:
    """A retired deputy's assignments end on the day they left office."""
    deputy = await session.get(KnownDeputy, payload.deputy_id)
    if deputy is not None:
        deputy.status, deputy.version = "retired", max(deputy.version, payload.version)
    for assignment in await _active_assignments(session, Assignment.deputy_id == payload.deputy_id):
        await _end(session, runtime, assignment, payload.retired_on, f"deputy retired: {payload.reason}")


def _case_state(payload: CaseSubmitted | CaseAssigned | CaseTransitioned) -> tuple[str, datetime]:
    if isinstance(payload, CaseTransitioned):
        return payload.to_status, payload.at
    return ("assigned" if payload.assigned_deputy_ids else "submitted"), payload.submitted_at


async def on_case_event(
    session: AsyncSession, _: ServiceRuntime, payload: CaseSubmitted | CaseAssigned | CaseTransitioned
) -> None:
    """Keep which cases are open in which grid; an older event than the one applied is dropped."""
    status, at = _case_state(payload)
    row = {"case_id": payload.case_id, "grid_id": payload.grid_id, "status": status, "at": at}
    row["is_open"] = status not in CLOSED_CASE_STATUSES
    await upsert_newer(session, GridCase.__table__, [row], changes=("grid_id", "status", "is_open"), stamp="at")
