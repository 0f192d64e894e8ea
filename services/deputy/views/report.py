"""What the annual duty report (履职报告) of a deputy holds, read from this service's own tables: the profile, the
grids the deputy answered for in the year (the assignments' copy), the five ones with their evidence, and the
year's record entries by part; and which deputies a township's file gathers."""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain.periods import year_range
from services.deputy.domain.report import ROWS_PER_SECTION, SECTIONS
from services.deputy.models import Deputy, DutyRecord, KnownAssignment, KnownGrid, SupportPair
from services.deputy.schemas import FiveOnes
from services.deputy.views.five_ones import five_ones
from shared.errors import NotFound, Unprocessable


@dataclass
class GridLine:
    path: str
    level: str
    role: str
    basis: str
    starts_on: date
    ends_on: date | None


@dataclass
class Section:
    total: int
    entries: list[DutyRecord]


@dataclass
class DutyReport:
    deputy: Deputy
    year: int
    home: str | None
    grids: list[GridLine]
    five_ones: FiveOnes
    sections: dict[str, Section]
    counts: Counter[str]
    households: int
    visitors: int
    tree: "Tree"
    """The grid tree, for the entries' places."""


class Tree:
    """The projected grid tree, read once per document: a grid's path of names."""

    def __init__(self, rows: list[KnownGrid]) -> None:
        self.rows = {row.id: row for row in rows}

    def path(self, grid_id: str | None) -> str:
        names: list[str] = []
        seen: set[str] = set()
        while grid_id and grid_id in self.rows and grid_id not in seen:
            seen.add(grid_id)
            names.insert(0, self.rows[grid_id].name)
            grid_id = self.rows[grid_id].parent_id
        return " / ".join(names)


async def load_tree(session: AsyncSession) -> Tree:
    return Tree(list((await session.execute(select(KnownGrid))).scalars()))


async def _grids(session: AsyncSession, deputy_id: str, year: int, tree: Tree) -> list[GridLine]:
    """The assignments that overlapped the year, the earliest first."""
    query = (
        select(KnownAssignment)
        .where(
            KnownAssignment.deputy_id == deputy_id,
            KnownAssignment.starts_on <= date(year, 12, 31),
            or_(KnownAssignment.ends_on.is_(None), KnownAssignment.ends_on >= date(year, 1, 1)),
        )
        .order_by(KnownAssignment.starts_on, KnownAssignment.id)
    )
    lines = []
    for assignment in (await session.execute(query)).scalars():
        grid = tree.rows.get(assignment.grid_id)
        lines.append(
            GridLine(
                path=tree.path(assignment.grid_id) or assignment.grid_id,
                level=grid.level if grid else "",
                role=assignment.role,
                basis=assignment.basis,
                starts_on=assignment.starts_on,
                ends_on=assignment.ends_on,
            )
        )
    return lines


async def duty_report(session: AsyncSession, deputy: Deputy, year: int, tree: Tree) -> DutyReport:
    """A deputy's year, as the report prints it."""
    start, end = year_range(year)
    in_year = (DutyRecord.deputy_id == deputy.id, DutyRecord.occurred_at >= start, DutyRecord.occurred_at < end)
    count_query = select(DutyRecord.kind, func.count(), func.sum(DutyRecord.quantity)).where(*in_year)
    counts: Counter[str] = Counter()
    visitors = 0
    for kind, number, quantity in (await session.execute(count_query.group_by(DutyRecord.kind))).all():
        counts[kind] = int(number)
        if kind in ("visitor_received", "reception"):
            visitors += int(quantity or 0) if kind == "reception" else int(number)
    sections = {}
    for name, kinds in SECTIONS.items():
        query = (
            select(DutyRecord)
            .where(*in_year, DutyRecord.kind.in_(kinds))
            .order_by(DutyRecord.occurred_at.desc(), DutyRecord.id)
            .limit(ROWS_PER_SECTION)
        )
        entries = list((await session.execute(query)).scalars())
        sections[name] = Section(total=sum(counts[kind] for kind in kinds), entries=entries)
    first, last = date(year, 1, 1), date(year, 12, 31)
    pairs = select(func.count()).where(
        SupportPair.deputy_id == deputy.id,
        SupportPair.starts_on <= last,
        or_(SupportPair.ends_on.is_(None), SupportPair.ends_on >= first),
    )
    return DutyReport(
        deputy=deputy,
        year=year,
        home=tree.path(deputy.home_grid_id) or None,
        grids=await _grids(session, deputy.id, year, tree),
        five_ones=await five_ones(session, deputy.id, year, evidence=3),
        sections=sections,
        counts=counts,
        households=int((await session.execute(pairs)).scalar_one()),
        visitors=visitors,
        tree=tree,
    )


async def township_deputies(session: AsyncSession, township_id: str, year: int) -> tuple[KnownGrid, list[Deputy]]:
    """The township, and its deputies in code order: those who answered for one of its grids in the year, and
    those who live in it (active, or retired during the year)."""
    township = await session.get(KnownGrid, township_id)
    if township is None:
        raise NotFound(f"No township {township_id} is known here.")
    if township.level != "township":
        raise Unprocessable("A township's duty reports are asked for by the township's grid.")
    grids = select(KnownGrid.id).where(KnownGrid.township_id == township_id)
    assigned = select(KnownAssignment.deputy_id).where(
        KnownAssignment.grid_id.in_(grids),
        KnownAssignment.starts_on <= date(year, 12, 31),
        or_(KnownAssignment.ends_on.is_(None), KnownAssignment.ends_on >= date(year, 1, 1)),
    )
    query = (
        select(Deputy)
        .where(
            or_(Deputy.id.in_(assigned), Deputy.home_grid_id.in_(grids)),
            or_(Deputy.retired_on.is_(None), Deputy.retired_on >= date(year, 1, 1)),
        )
        .order_by(Deputy.code)
    )
    return township, list((await session.execute(query)).scalars())
