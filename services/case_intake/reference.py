"""Reference data staff configure: categories (with dispute types), the holiday calendar, out-of-scope answers."""

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta, timezone
from types import MappingProxyType
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.models import Category, Holiday, Organisation
from services.case_intake.policy import CasePolicy
from services.case_intake.schemas import CategoryCreate, CategoryUpdate, HolidaySet, OutOfScope, OutOfScopeRead
from services.case_intake.workdays import WorkCalendar
from shared.errors import Conflict, NotFound, Unprocessable
from shared.pagination import PageParams, paginate

Coded = TypeVar("Coded", Category, Organisation)

OUT_OF_SCOPE: dict[OutOfScope, tuple[str, str, str]] = {
    OutOfScope.litigation: (
        "诉讼",
        "属于诉讼事项，请到人民法院诉讼服务中心立案或咨询。",
        "A matter for the courts: file or ask at the people's court's litigation service centre.",
    ),
    OutOfScope.arbitration: (
        "仲裁",
        "属于仲裁事项，请向仲裁委员会（劳动争议向劳动人事争议仲裁委员会）申请。",
        "A matter for arbitration: apply to the arbitration commission (labour disputes: the labour commission).",
    ),
    OutOfScope.discipline: (
        "纪检监察",
        "属于纪检监察事项，请向市纪委监委反映。",
        "A matter for discipline inspection: report it to the city's discipline and supervision commission.",
    ),
    OutOfScope.administrative_review: (
        "行政复议",
        "属于行政复议事项，请向复议机关（市人民政府行政复议机构）申请。",
        "A matter for administrative review: apply to the review office of the city government.",
    ),
    OutOfScope.petition: (
        "信访",
        "该事项已进入信访程序，请通过信访渠道跟进办理进度。",
        "Already in the petition (信访) process: follow it through the petition office.",
    ),
}


def out_of_scope_list() -> list[OutOfScopeRead]:
    return [
        OutOfScopeRead(code=code, label_zh=label, where_to_go_zh=zh, where_to_go_en=en)
        for code, (label, zh, en) in OUT_OF_SCOPE.items()
    ]


def where_to_go(code: str | None) -> str | None:
    if code is None:
        return None
    _, zh, en = OUT_OF_SCOPE[OutOfScope(code)]
    return f"{zh} {en}"


async def list_categories(
    session: AsyncSession, params: PageParams, *, kind: str | None = None, include_inactive: bool = False
) -> tuple[list[Category], int]:
    """A short table: filtered by kind in Python, since JSON containment differs between the databases."""
    query = select(Category).order_by(Category.position, Category.code)
    if not include_inactive:
        query = query.where(Category.active)
    rows = [item for item in (await session.execute(query)).scalars() if kind is None or kind in item.kinds]
    return rows[params.offset : params.offset + params.limit], len(rows)


async def get_category(session: AsyncSession, code: str) -> Category:
    category = await session.get(Category, code)
    if category is None:
        raise NotFound(f"No category {code}.")
    return category


@dataclass(frozen=True)
class CategoryRule:
    """What filing needs of a category, detached from any session."""

    code: str
    active: bool
    kinds: frozenset[str]
    resolve_working_days: int
    urgent: bool


class ReferenceCache:
    """Categories and the holiday calendar in process memory: read on every filing, changed a few times a year.

    This replica's own writes call `invalidate` (after their commit); another replica's are seen once `ttl`
    seconds have passed. A load that raced an invalidation is used once but not kept.
    """

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._generation = 0
        self._categories: tuple[float, Mapping[str, CategoryRule]] | None = None
        self._holidays: tuple[float, Mapping[date, bool]] | None = None

    def invalidate(self) -> None:
        self._generation += 1
        self._categories = self._holidays = None

    def _fresh(self, entry: tuple[float, object] | None) -> bool:
        return entry is not None and time.monotonic() - entry[0] < self.ttl

    async def categories(self, session: AsyncSession) -> Mapping[str, CategoryRule]:
        if self._categories is not None and self._fresh(self._categories):
            return self._categories[1]
        generation, loaded_at = self._generation, time.monotonic()
        query = select(Category.code, Category.active, Category.kinds, Category.resolve_working_days, Category.urgent)
        rules = MappingProxyType(
            {
                row.code: CategoryRule(row.code, row.active, frozenset(row.kinds), row.resolve_working_days, row.urgent)
                for row in (await session.execute(query)).all()
            }
        )
        if generation == self._generation:
            self._categories = (loaded_at, rules)
        return rules

    async def category(self, session: AsyncSession, code: str) -> CategoryRule | None:
        return (await self.categories(session)).get(code)

    async def holidays(self, session: AsyncSession) -> Mapping[date, bool]:
        if self._holidays is not None and self._fresh(self._holidays):
            return self._holidays[1]
        generation, loaded_at = self._generation, time.monotonic()
        rows = (await session.execute(select(Holiday.day, Holiday.working))).all()
        overrides = MappingProxyType({row.day: row.working for row in rows})
        if generation == self._generation:
            self._holidays = (loaded_at, overrides)
        return overrides

    async def calendar(self, session: AsyncSession, policy: CasePolicy) -> WorkCalendar:
        return WorkCalendar(await self.holidays(session), timezone(timedelta(hours=policy.utc_offset_hours)))


async def usable_category(cache: ReferenceCache, session: AsyncSession, code: str, kind: str) -> CategoryRule:
    """The category a new case names: it must exist, be active and admit the case's kind."""
    category = await cache.category(session, code)
    if category is None or not category.active:
        raise Unprocessable(f"Unknown category {code}: choose one from /categories.", field="category")
    if kind not in category.kinds:
        raise Unprocessable(f"The category {code} is not for a {kind}.", field="category")
    return category


async def add_coded(session: AsyncSession, row: Coded, noun: str) -> Coded:
    """Add a reference row keyed by its code (a category, an organisation); 409 when the code is taken."""
    if await session.get(type(row), row.code) is not None:
        raise Conflict(f"The {noun} {row.code} exists already.")
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict(f"The {noun} {row.code} exists already.") from error
    return row


async def change_fields(session: AsyncSession, row: Coded, data: BaseModel) -> Coded:
    """Apply the fields an update sends (a null leaves the field as it was)."""
    for name, value in data.model_dump(mode="json", exclude_unset=True).items():
        if value is not None:
            setattr(row, name, value)
    await session.flush()
    return row


async def create_category(session: AsyncSession, data: CategoryCreate) -> Category:
    return await add_coded(session, Category(**data.model_dump(mode="json"), active=True), "category")


async def update_category(session: AsyncSession, code: str, data: CategoryUpdate) -> Category:
    return await change_fields(session, await get_category(session, code), data)


async def list_holidays(
    session: AsyncSession, params: PageParams, *, year: int | None = None
) -> tuple[list[Holiday], int]:
    query = select(Holiday).order_by(Holiday.day)
    if year is not None:
        query = query.where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
    return await paginate(session, query, params)


async def set_holiday(session: AsyncSession, day: date, data: HolidaySet) -> Holiday:
    if data.working and day.weekday() < 5:
        raise Unprocessable("Only a Saturday or Sunday can be made a working day.", field="working")
    holiday = await session.get(Holiday, day)
    if holiday is None:
        holiday = Holiday(day=day, name=data.name, working=data.working)
        session.add(holiday)
    else:
        holiday.name, holiday.working = data.name, data.working
    await session.flush()
    return holiday


async def delete_holiday(session: AsyncSession, day: date) -> None:
    holiday = await session.get(Holiday, day)
    if holiday is None:
        raise NotFound(f"{day} is not in the holiday calendar.")
    await session.delete(holiday)
    await session.flush()
