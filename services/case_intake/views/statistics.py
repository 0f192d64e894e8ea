"""Figures of cases (统计) by SQL aggregates, so that they stay quick at 100,000 cases: counts by status, kind
and township, the response, resolution and satisfaction rates, the overdue and the median time to resolve. The
office's dashboard asks for them in one request; the village board shows the same figures of one grid."""

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Float, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from services.case_intake.models import Case, KnownGrid
from services.case_intake.schemas import CaseKind, CaseStatistics, CaseStatus, TownshipFigures
from shared.clock import CHINA
from shared.errors import NotFound, Unprocessable

HIDDEN = ("withdrawn", "merged", "rejected")
"""Not counted in a grid's cases and rates: the matter was never the grid's to solve, or lives on elsewhere."""
DONE = ("resolved", "closed")
SATISFIED = ("satisfied", "basically_satisfied")


def late(now: datetime) -> ColumnElement[bool]:
    """An open case past the deadline that runs now (to accept, or to resolve)."""
    return or_(
        (Case.due_kind == "accept") & (Case.accept_due_at < now),
        (Case.due_kind == "resolve") & (Case.resolve_due_at < now),
    )


class hours_between(FunctionElement):  # noqa: N801 - an SQL function reads best in lower case
    """Hours from the second timestamp to the first, in each database's own arithmetic."""

    type = Float()
    inherit_cache = True


@compiles(hours_between, "sqlite")
def _sqlite_hours(element, compiler, **kw):  # type: ignore[no-untyped-def]
    later, earlier = list(element.clauses)
    return f"((julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)})) * 24.0)"


@compiles(hours_between, "postgresql")
def _postgresql_hours(element, compiler, **kw):  # type: ignore[no-untyped-def]
    later, earlier = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})) / 3600.0)"


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


@dataclass(frozen=True)
class Tally:
    """The counts the rates are made of; tallies of separate sets of cases add up."""

    cases: int = 0
    resolved: int = 0
    rejected: int = 0
    overdue: int = 0
    rated: int = 0
    satisfied: int = 0
    due: int = 0
    on_time: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(*(getattr(self, each.name) + getattr(other, each.name) for each in fields(Tally)))

    def figures(self) -> dict:
        return {
            "cases": self.cases,
            "open": self.cases - self.resolved,
            "resolved": self.resolved,
            "rejected": self.rejected,
            "overdue": self.overdue,
            "rated": self.rated,
            "response_rate": _share(self.on_time, self.due),
            "resolution_rate": _share(self.resolved, self.cases),
            "satisfaction_rate": _share(self.satisfied, self.rated),
        }


COUNTED = Case.status.not_in(HIDDEN)
RESOLVED = COUNTED & Case.status.in_(DONE) & Case.resolved_at.is_not(None)


def _tally_columns(now: datetime) -> list:
    """The response rate counts the cases accepted or past their accept deadline, on time if accepted by it."""
    due = COUNTED & (Case.accepted_at.is_not(None) | (Case.accept_due_at <= now))
    rated = COUNTED & Case.rating.is_not(None)
    conditions = {
        "cases": COUNTED,
        "resolved": RESOLVED,
        "rejected": Case.status == "rejected",
        "overdue": late(now),
        "rated": rated,
        "satisfied": rated & Case.rating.in_(SATISFIED),
        "due": due,
        "on_time": due & Case.accepted_at.is_not(None) & (Case.accepted_at <= Case.accept_due_at),
    }
    return [func.count().filter(condition).label(name) for name, condition in conditions.items()]


def _tally(row: object) -> Tally:
    return Tally(*(getattr(row, each.name) or 0 for each in fields(Tally)))


async def tally(session: AsyncSession, scope: list, now: datetime) -> Tally:
    """The counts of the cases in `scope` (conditions on cases) in one scan."""
    return _tally((await session.execute(select(*_tally_columns(now)).where(*scope))).one())


async def median_hours(session: AsyncSession, scope: list, resolved: int) -> float | None:
    """The median hours from filing to resolution of the `resolved` cases in scope: the database sorts them and
    answers only the middle one or two."""
    if not resolved:
        return None
    hours = hours_between(Case.resolved_at, Case.submitted_at)
    query = select(hours).where(*scope, RESOLVED).order_by(hours).offset((resolved - 1) // 2).limit(2 - resolved % 2)
    middle = list((await session.execute(query)).scalars())
    return sum(middle) / len(middle) if middle else None


def period(date_from: date | None, date_to: date | None) -> list:
    """The cases filed from the first day to the last (both included, in Beijing days)."""
    if date_from and date_to and date_from > date_to:
        raise Unprocessable("The period ends before it begins.", field="date_to")
    scope = []
    if date_from:
        scope.append(Case.submitted_at >= datetime.combine(date_from, time(), CHINA))
    if date_to:
        scope.append(Case.submitted_at < datetime.combine(date_to + timedelta(days=1), time(), CHINA))
    return scope


async def subtree(session: AsyncSession, grid_id: str) -> dict[str, str]:
    """The grid and every grid below it: id -> name."""
    root = await session.get(KnownGrid, grid_id)
    if root is None:
        raise NotFound("No grid {grid_id}.", params={"grid_id": grid_id})
    names, frontier = {root.id: root.name}, {root.id}
    while frontier:
        rows = (
            await session.execute(select(KnownGrid.id, KnownGrid.name).where(KnownGrid.parent_id.in_(frontier)))
        ).all()
        frontier = {row.id for row in rows} - names.keys()
        names.update({row.id: row.name for row in rows})
    return names


async def grid_filter(session: AsyncSession, grid_id: str | None, township_id: str | None) -> set[str] | None:
    """The grids a filter names (one grid and those below it; `township_id` must name a township), or None."""
    if grid_id and township_id:
        raise Unprocessable("Give the grid or the township, not both.", field="township_id")
    if township_id:
        township = await session.get(KnownGrid, township_id)
        if township is not None and township.level != "township":
            raise Unprocessable("This grid is not a township.", field="township_id")
    root = grid_id or township_id
    return set(await subtree(session, root)) if root else None


class Townships:
    """The grid tree as far as the figures need it: each known grid's township (itself, for a township)."""

    def __init__(self, grids: list[KnownGrid]) -> None:
        self.grids = {grid.id: grid for grid in grids}

    def of(self, grid_id: str) -> str | None:
        grid = self.grids.get(grid_id)
        while grid is not None and grid.level != "township":
            grid = self.grids.get(grid.parent_id) if grid.parent_id else None
        return grid.id if grid is not None else None

    def listed(self, grids: set[str] | None) -> list[KnownGrid]:
        """Every township, or those of `grids` (a filter's grids)."""
        wanted = None if grids is None else {self.of(grid_id) for grid_id in grids}
        return [
            grid for grid in self.grids.values() if grid.level == "township" and (wanted is None or grid.id in wanted)
        ]


async def _grouped(session: AsyncSession, scope: list, now: datetime) -> list:
    """One scan: the tallies by grid, status and kind (the order of ix_cases_statistics, which covers them)."""
    query = (
        select(Case.grid_id, Case.status, Case.kind, func.count().label("every"), *_tally_columns(now))
        .where(*scope)
        .group_by(Case.grid_id, Case.status, Case.kind)
    )
    return list((await session.execute(query)).all())


async def case_statistics(
    session: AsyncSession,
    now: datetime,
    *,
    grid_id: str | None,
    township_id: str | None,
    date_from: date | None,
    date_to: date | None,
) -> CaseStatistics:
    """The figures of the cases filed in the period, of a grid and those below it or of the whole city."""
    scope = period(date_from, date_to)
    grids = await grid_filter(session, grid_id, township_id)
    if grids is not None:
        scope.append(Case.grid_id.in_(grids))
    townships = Townships(list((await session.execute(select(KnownGrid))).scalars()))
    by_status, by_kind = dict.fromkeys(CaseStatus, 0), dict.fromkeys(CaseKind, 0)
    by_township: dict[str | None, Tally] = {}
    for row in await _grouped(session, scope, now):
        counts = _tally(row)
        by_status[CaseStatus(row.status)] += row.every
        by_kind[CaseKind(row.kind)] += counts.cases
        township = townships.of(row.grid_id)
        by_township[township] = by_township.get(township, Tally()) + counts
    total = sum(by_township.values(), Tally())
    median = await median_hours(session, scope, total.resolved)
    return CaseStatistics(
        **total.figures(),
        grid_id=grid_id or township_id,
        date_from=date_from,
        date_to=date_to,
        median_hours_to_resolve=None if median is None else round(median, 1),
        by_status=by_status,
        by_kind=by_kind,
        by_township=sorted(
            (
                TownshipFigures(grid_id=grid.id, grid_name=grid.name, **by_township.get(grid.id, Tally()).figures())
                for grid in townships.listed(grids)
            ),
            key=lambda row: (-row.cases, row.grid_name, row.grid_id),
        ),
    )
