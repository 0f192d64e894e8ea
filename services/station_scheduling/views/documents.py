"""What the station service's printed documents hold, read from its own tables and its copies of the grid
tree, the deputies and the assignments (no other service is asked):

- a reception session's notice: the session as announced, and its station;
- a village group's QR poster: the group's place in the tree, its deputies (the group's own; the village's when
  the group has none), the station that serves it with its opening hours, and its next sessions.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.domain.rotation import within
from services.station_scheduling.logic.deputies import station_roots
from services.station_scheduling.models import (
    KnownAssignment,
    KnownDeputy,
    KnownGrid,
    OpeningWindow,
    ReceptionSession,
    Station,
)
from services.station_scheduling.schemas import SessionRead
from services.station_scheduling.views.sessions import describe_one
from shared.errors import NotFound

UPCOMING = 3
"""The next sessions a poster lists."""


@dataclass
class SessionNotice:
    session: SessionRead
    station: Station


async def session_notice(db: AsyncSession, reception: ReceptionSession) -> SessionNotice:
    station = await db.get(Station, reception.station_id)
    if station is None:  # pragma: no cover - a session always has its station (foreign key)
        raise NotFound(f"No station {reception.station_id}.")
    return SessionNotice(session=await describe_one(db, reception), station=station)


@dataclass
class StationHours:
    station: Station
    hours: list[OpeningWindow]
    upcoming: list[ReceptionSession]


@dataclass
class Poster:
    group: KnownGrid
    places: list[str]
    """The township's, the village's and the group's names."""
    deputies: list[str]
    village_deputies: bool
    """The group has no deputy of its own: these are its village's."""
    station: StationHours | None


class _World:
    """The tree, the active assignments, the deputies and the stations, read once for a file of posters."""

    def __init__(self, grids: list[KnownGrid], assignments: list[KnownAssignment], deputies: list[KnownDeputy]):
        self.grids = {grid.id: grid for grid in grids}
        self.parents = {grid.id: grid.parent_id for grid in grids}
        self.deputies = {deputy.id: deputy for deputy in deputies if deputy.status == "active"}
        self.assigned: dict[str, list[str]] = {}
        for assignment in assignments:
            self.assigned.setdefault(assignment.grid_id, []).append(assignment.deputy_id)
        self.stations: list[tuple[int, Station, set[str] | None]] = []

    def names(self, grid_id: str | None) -> list[str]:
        ids = sorted({deputy for deputy in self.assigned.get(grid_id or "", []) if deputy in self.deputies})
        return [self.deputies[deputy].name for deputy in sorted(ids, key=lambda d: self.deputies[d].code)]

    def places(self, group: KnownGrid) -> list[str]:
        names, current = [], group
        while current is not None:
            names.insert(0, current.name)
            current = self.grids.get(current.parent_id or "")
        return names

    def station_of(self, grid_id: str) -> Station | None:
        """The station nearest the group: an area station naming it (or its village), its township's, the main."""
        for _, station, roots in self.stations:
            if roots is None or within(grid_id, roots, self.parents):
                return station
        return None


async def _world(db: AsyncSession) -> _World:
    world = _World(
        list((await db.execute(select(KnownGrid))).scalars()),
        list((await db.execute(select(KnownAssignment).where(KnownAssignment.active))).scalars()),
        list((await db.execute(select(KnownDeputy))).scalars()),
    )
    for station in (await db.execute(select(Station).order_by(Station.code))).scalars():
        roots = await station_roots(db, station)
        rank = 2 if roots is None else (0 if station.tier == "area" else 1)
        world.stations.append((rank, station, roots))
    world.stations.sort(key=lambda item: (item[0], item[1].code))
    return world


async def _hours(db: AsyncSession, station: Station, now: datetime) -> StationHours:
    windows = select(OpeningWindow).where(OpeningWindow.station_id == station.id)
    upcoming = (
        select(ReceptionSession)
        .where(
            ReceptionSession.station_id == station.id,
            ReceptionSession.status == "scheduled",
            ReceptionSession.starts_at >= now,
        )
        .order_by(ReceptionSession.starts_at)
        .limit(UPCOMING)
    )
    return StationHours(
        station=station,
        hours=list((await db.execute(windows.order_by(OpeningWindow.id))).scalars()),
        upcoming=list((await db.execute(upcoming)).scalars()),
    )


async def posters(db: AsyncSession, grid_id: str, now: datetime) -> tuple[KnownGrid, list[Poster]]:
    """The posters of a group, or of every active group under a village or township (in code order)."""
    world = await _world(db)
    grid = world.grids.get(grid_id)
    if grid is None or grid.status != "active":
        raise NotFound(f"No grid {grid_id} is known here.")
    if grid.level == "group":
        groups = [grid]
    else:
        groups = [
            candidate
            for candidate in world.grids.values()
            if candidate.level == "group"
            and candidate.status == "active"
            and within(candidate.id, {grid.id}, world.parents)
        ]
        groups.sort(key=lambda candidate: candidate.code)
    hours: dict[str, StationHours] = {}
    made = []
    for group in groups:
        own = world.names(group.id)
        deputies = own or world.names(group.parent_id)
        station = world.station_of(group.id)
        if station is not None and station.id not in hours:
            hours[station.id] = await _hours(db, station, now)
        made.append(
            Poster(
                group=group,
                places=world.places(group),
                deputies=deputies,
                village_deputies=not own and bool(deputies),
                station=hours[station.id] if station is not None else None,
            )
        )
    return grid, made
