"""The tree and its history: creating, renaming, moving, changing and retiring grids.

Every change is kept in the grid's history (who, why, before and after) and published with the grid's next
version. Retiring: a grid with open cases (from its projection of case events) or with active children cannot
be retired; retiring ends its active assignments first, each with an assignment-ended event.
"""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.grid.domain import geo, names
from services.grid.domain.tree import CHANGEABLE, GEOMETRY, change_action, check_kind, check_parent, kind_after_rename
from services.grid.logic import assignments
from services.grid.logic.grids import active_assignments, active_grid, get_grid, open_case_count
from services.grid.logic.locate import bump_index
from services.grid.models import Assignment, Grid, GridChange
from services.grid.schemas import Boundary, GridCreate, GridRetire, GridUpdate
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, Unprocessable
from shared.messaging.catalogue import GridChanged, GridCreated, GridRetired
from shared.service import ServiceRuntime
from shared.types import LatLon

SYSTEM = "system"
"""The actor of changes no person made (the demo city's loader)."""


async def _check_parent(session: AsyncSession, level: str, parent_id: str | None) -> Grid | None:
    parent = await get_grid(session, parent_id) if parent_id else None
    check_parent(level, parent.level if parent else None, parent is None or parent.status == "active")
    return parent


def _geometry(boundary: Boundary) -> Any:
    try:
        return geo.boundary_geometry(boundary.model_dump())
    except geo.BoundaryError as error:
        raise Unprocessable("The boundary is {error}.", params={"error": error}, rule="grid.boundary") from error


def _place(grid: Grid, fields: set[str], boundary: Boundary | None, centre: LatLon | None) -> None:
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


def _history(session: AsyncSession, grid: Grid, action: str, changes: dict[str, Any], reason: str, actor: str) -> None:
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


async def create_grid(
    session: AsyncSession,
    runtime: ServiceRuntime,
    data: GridCreate,
    *,
    grid_id: str | None = None,
    is_demo: bool = False,
    by: Principal | None = None,
) -> Grid:
    """Create a grid; `by` the official who does it (audited), none for the demo city's loader."""
    await _check_parent(session, data.level, data.parent_id)
    if (await session.execute(select(Grid.id).where(Grid.code == data.code))).first():
        raise Conflict("A grid with code {code} exists.", params={"code": data.code}, rule="grid.code_taken")
    grid = Grid(
        id=grid_id or str(uuid.uuid4()),
        code=data.code,
        level=data.level,
        kind=check_kind(data.level, data.kind, data.name),
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
    _history(session, grid, "created", _snapshot(grid, CHANGEABLE), "", by.subject if by else SYSTEM)
    if by is not None:
        await audit.record(session, by, "grid.create", "grid", grid.id, level=grid.level, parent_id=grid.parent_id)
    if grid.level == "group":
        await bump_index(session, runtime)
    await runtime.emit(
        session,
        GridCreated(grid_id=grid.id, code=grid.code, name=grid.name, level=grid.level, parent_id=grid.parent_id),
        subject=grid.id,
    )
    return grid


async def _apply_update(session: AsyncSession, grid: Grid, data: GridUpdate) -> None:
    fields = data.model_fields_set
    if "name" in fields and data.name is not None:
        grid.kind = kind_after_rename(grid.level, grid.kind, grid.name, data.name)
        _set_name(grid, data.name)
    if "kind" in fields:
        grid.kind = check_kind(grid.level, data.kind, grid.name)
    if "parent_id" in fields and data.parent_id != grid.parent_id:
        await _check_parent(session, grid.level, data.parent_id)
        grid.parent_id = data.parent_id
    for field in ("district", "population", "households"):
        if field in fields:
            setattr(grid, field, getattr(data, field))
    if geometry := {"boundary", "centre"} & fields:
        _place(grid, geometry, data.boundary, data.centre)


async def update_grid(
    session: AsyncSession, runtime: ServiceRuntime, grid_id: str, data: GridUpdate, *, by: Principal
) -> Grid:
    """Rename, move or change a grid; a change is kept in its history and published as grid changed."""
    grid = await active_grid(session, grid_id)
    before = _snapshot(grid, CHANGEABLE)
    await _apply_update(session, grid, data)
    after = _snapshot(grid, CHANGEABLE)
    changed = [field for field in CHANGEABLE if before[field] != after[field]]
    if not changed:
        return grid
    grid.version += 1
    grid.updated_at = datetime.now(UTC)
    action = change_action(changed)
    _history(session, grid, action, {f: [before[f], after[f]] for f in changed}, data.reason, by.subject)
    await audit.record(session, by, "grid.change", "grid", grid.id, change=action, fields=changed, version=grid.version)
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


async def _check_may_retire(session: AsyncSession, grid: Grid) -> None:
    children = select(func.count()).select_from(Grid).where(Grid.parent_id == grid.id, Grid.status == "active")
    if count := (await session.execute(children)).scalar_one():
        raise Conflict("The grid has {count} active child grids: move or retire them first.", params={"count": count})
    if count := await open_case_count(session, grid.id):
        raise Conflict("The grid has {count} open cases: they must be closed first.", params={"count": count})


async def retire_grid(
    session: AsyncSession, runtime: ServiceRuntime, grid_id: str, data: GridRetire, *, by: Principal
) -> Grid:
    """Retire a grid with no open work: its assignments end, its history and code stay."""
    grid = await active_grid(session, grid_id)
    await _check_may_retire(session, grid)
    ended = await active_assignments(session, Assignment.grid_id == grid.id)
    for assignment in ended:
        await assignments.end(session, runtime, assignment, data.retired_on, f"grid retired: {data.reason}")
    grid.status, grid.retired_on = "retired", data.retired_on
    grid.version += 1
    grid.updated_at = datetime.now(UTC)
    _history(session, grid, "retired", {"status": ["active", "retired"]}, data.reason, by.subject)
    ended_ids = [assignment.id for assignment in ended]
    await audit.record(session, by, "grid.retire", "grid", grid.id, ended_assignments=ended_ids, version=grid.version)
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
