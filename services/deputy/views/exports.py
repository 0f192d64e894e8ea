"""The deputy service's spreadsheets (shared.sheets_out): the reference figures of a period for every township,
village and group, and the five ones (五个一) of the deputies. Rows only: the route has decided who may have
which (the figures are public like GET /statistics; the five ones are the office's and station staff's, a
deputy's own row for the deputy)."""

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain import statistics as figures
from services.deputy.domain.five_ones import FIVE_ONES
from services.deputy.domain.periods import year_range
from services.deputy.models import Deputy, DutyRecord, KnownGrid
from services.deputy.views.statistics import figures_per_grid
from shared.sheets_out import Column, Language, stream_batches, words

FIGURE_COLUMNS = [
    Column("建议", "Suggestions", "int", 10),
    Column("调解纠纷", "Disputes mediated", "int", 10),
    Column("帮扶困难户", "Households supported", "int", 10),
    Column("民生实事", "Livelihood matters", "int", 10),
    Column("接待群众", "Visitors received", "int", 10),
    Column("解决问题", "Issues resolved", "int", 10),
]
STATISTICS_COLUMNS = [
    Column("层级", "Level", width=8),
    Column("乡镇（街道）", "Township", width=16),
    Column("村（社区）", "Village", width=16),
    Column("村民小组", "Group", width=18),
    Column("网格编码", "Grid code", width=14),
    *FIGURE_COLUMNS,
]
LEVELS = {
    "city": ("全市", "City"),
    "township": ("乡镇", "Township"),
    "village": ("村", "Village"),
    "group": ("组", "Group"),
    "unknown": ("网格未知", "Grid not known"),
}
FIVE_ONE_WORDS = {
    "suggestion": ("提一条好建议", "A good suggestion"),
    "inspection": ("参加一次视察或调研", "An inspection or research visit"),
    "dispute": ("化解一起矛盾纠纷", "A dispute resolved"),
    "household": ("帮扶一户困难家庭", "A household supported"),
    "livelihood": ("推动一件民生实事", "A livelihood matter pushed through"),
}
DEPUTY_LEVELS = {"city": ("市级", "City"), "township": ("乡镇级", "Township"), "both": ("市、乡镇两级", "Both")}
FIVE_ONES_COLUMNS = [
    Column("代表编号", "Code", width=10),
    Column("姓名", "Name", width=10),
    Column("代表层级", "Level", width=12),
    Column("选区", "Electoral district", width=16),
    Column("居住乡镇", "Township of residence", width=14),
    *(Column(f"{zh}（条）", f"{en} (records)", "int", 12) for zh, en in FIVE_ONE_WORDS.values()),
    Column("完成项数", "Done (of 5)", "int", 10),
    Column("全部完成", "All done", "bool", 10),
]


PUBLISHED = (
    "suggestions",
    "disputes_mediated",
    "households_supported",
    "livelihood_matters",
    "visitors_received",
    "issues_resolved",
)
"""The figures in the order of GET /statistics (and of FIGURE_COLUMNS)."""


def _figures(counted: figures.Figures) -> list[int]:
    shaped = figures.shaped(None, None, counted)
    return [shaped[name] for name in PUBLISHED]


async def statistics_rows(session: AsyncSession, first: date, last: date, language: Language) -> list[list[Any]]:
    """The city's total, then each township, its villages and each village's groups (in code order), each with
    its own figures and those below it. Every active place is listed, with zeros; a retired one only if it has
    figures in the period; facts whose grid is not known here have a row of their own."""
    per_grid = await figures_per_grid(session, first, last)
    grids = list((await session.execute(select(KnownGrid).order_by(KnownGrid.code))).scalars())
    places = {grid.id: (grid.level, grid.township_id, grid.village_id) for grid in grids}
    rolled = figures.roll_up(per_grid, places)
    children: dict[str | None, list[KnownGrid]] = defaultdict(list)
    for grid in grids:
        if grid.status == "active" or grid.id in rolled:
            parent = {"township": None, "village": grid.township_id, "group": grid.village_id}.get(grid.level)
            children[parent].append(grid)
    label = {level: words(language, *names) for level, names in LEVELS.items()}
    rows: list[list[Any]] = [[label["city"], None, None, None, None, *_figures(figures.total(per_grid))]]

    def row(grid: KnownGrid, township: str, village: str | None, group: str | None) -> list[Any]:
        return [label[grid.level], township, village, group, grid.code, *_figures(rolled.get(grid.id, figures.empty()))]

    for township in children[None]:
        if township.level != "township":
            continue
        rows.append(row(township, township.name, None, None))
        for village in children[township.id]:
            rows.append(row(village, township.name, village.name, None))
            rows.extend(row(group, township.name, village.name, group.name) for group in children[village.id])
    if None in per_grid:
        rows.append([label["unknown"], None, None, None, None, *_figures(per_grid[None])])
    return rows


async def five_ones_rows(
    session: AsyncSession,
    year: int,
    language: Language,
    *,
    township_id: str | None = None,
    deputy_id: str | None = None,
) -> AsyncIterator[list[list[Any]]]:
    """Active deputies (or the one `deputy_id`) in code order, with how many records back each of the five ones
    in the year, in batches."""
    start, end = year_range(year)
    counted = (
        select(DutyRecord.deputy_id, DutyRecord.five_one, func.count())
        .where(DutyRecord.five_one.is_not(None), DutyRecord.occurred_at >= start, DutyRecord.occurred_at < end)
        .group_by(DutyRecord.deputy_id, DutyRecord.five_one)
    )
    if deputy_id is not None:
        counted = counted.where(DutyRecord.deputy_id == deputy_id)
    done: dict[str, dict[str, int]] = defaultdict(dict)
    for who, item, count in (await session.execute(counted)).all():
        done[who][item] = int(count)
    townships = {
        grid_id: name
        for grid_id, name in await session.execute(
            select(KnownGrid.id, KnownGrid.name).where(KnownGrid.level == "township")
        )
    }
    homes = {
        grid_id: township for grid_id, township in await session.execute(select(KnownGrid.id, KnownGrid.township_id))
    }
    deputies = select(Deputy).order_by(Deputy.code)
    if deputy_id is not None:
        deputies = deputies.where(Deputy.id == deputy_id)
    else:
        deputies = deputies.where(Deputy.status == "active")
    if township_id:
        homes_there = select(KnownGrid.id).where(KnownGrid.township_id == township_id)
        deputies = deputies.where(Deputy.home_grid_id.in_(homes_there))
    async for batch in stream_batches(session, deputies):
        rows = []
        for deputy in batch:
            counts = [done[deputy.id].get(item, 0) for item in FIVE_ONES]
            finished = sum(1 for count in counts if count)
            township = townships.get(homes.get(deputy.home_grid_id or "") or "", "")
            level = words(language, *DEPUTY_LEVELS.get(deputy.level, (deputy.level, deputy.level)))
            rows.append([deputy.code, deputy.name, level, deputy.district, township, *counts, finished, finished == 5])
        yield rows
