"""Reference data staff configure: categories (with dispute types) and the holiday calendar; the organisations
referrals go to (organisations.py) share the code-keyed rows' create and update."""

from datetime import date
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.models import Category, Holiday, Organisation
from services.case_intake.runtime import CategoryRule, ReferenceCache
from services.case_intake.schemas import CategoryCreate, CategoryUpdate, HolidaySet
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Unprocessable

Coded = TypeVar("Coded", Category, Organisation)


async def get_category(session: AsyncSession, code: str) -> Category:
    category = await session.get(Category, code)
    if category is None:
        raise NotFound("No category {code}.", params={"code": code})
    return category


async def usable_category(cache: ReferenceCache, session: AsyncSession, code: str, kind: str) -> CategoryRule:
    """The category a new case names: it must exist, be active and admit the case's kind."""
    category = await cache.category(session, code)
    if category is None or not category.active:
        raise Unprocessable(
            "Unknown category {code}: choose one from /categories.", params={"code": code}, field="category"
        )
    if kind not in category.kinds:
        raise Unprocessable(
            "The category {code} is not for a {kind}.", params={"code": code, "kind": kind}, field="category"
        )
    return category


async def add_coded(session: AsyncSession, row: Coded, noun: str) -> Coded:
    """Add a reference row keyed by its code (a category, an organisation); 409 when the code is taken."""
    if await session.get(type(row), row.code) is not None:
        raise Conflict("The {noun} {code} exists already.", params={"noun": noun, "code": row.code})
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict("The {noun} {code} exists already.", params={"noun": noun, "code": row.code}) from error
    return row


async def change_fields(session: AsyncSession, row: Coded, data: BaseModel) -> Coded:
    """Apply the fields an update sends (a null leaves the field as it was)."""
    for name, value in data.model_dump(mode="json", exclude_unset=True).items():
        if value is not None:
            setattr(row, name, value)
    await session.flush()
    return row


async def create_category(session: AsyncSession, data: CategoryCreate, by: Principal) -> Category:
    category = await add_coded(session, Category(**data.model_dump(mode="json"), active=True), "category")
    await audit.record(session, by, "category.create", "category", category.code)
    return category


async def update_category(session: AsyncSession, code: str, data: CategoryUpdate, by: Principal) -> Category:
    category = await change_fields(session, await get_category(session, code), data)
    await audit.record(session, by, "category.update", "category", code, fields=sorted(data.model_fields_set))
    return category


async def set_holiday(session: AsyncSession, day: date, data: HolidaySet, by: Principal) -> Holiday:
    if data.working and day.weekday() < 5:
        raise Unprocessable("Only a Saturday or Sunday can be made a working day.", field="working")
    holiday = await session.get(Holiday, day)
    if holiday is None:
        holiday = Holiday(day=day, name=data.name, working=data.working)
        session.add(holiday)
    else:
        holiday.name, holiday.working = data.name, data.working
    await session.flush()
    await audit.record(session, by, "holiday.set", "holiday", day.isoformat(), working=data.working)
    return holiday


async def delete_holiday(session: AsyncSession, day: date, by: Principal) -> None:
    holiday = await session.get(Holiday, day)
    if holiday is None:
        raise NotFound("{day} is not in the holiday calendar.", params={"day": day})
    await session.delete(holiday)
    await session.flush()
    await audit.record(session, by, "holiday.delete", "holiday", day.isoformat())
