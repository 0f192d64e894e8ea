"""The reference data as lists: categories, organisations, the holiday calendar, and where out-of-scope matters
go instead."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.out_of_scope import OUT_OF_SCOPE
from services.case_intake.models import Category, Holiday, Organisation
from services.case_intake.schemas import OrganisationKind, OutOfScopeRead
from shared.pagination import PageParams, paginate


def out_of_scope_list() -> list[OutOfScopeRead]:
    return [
        OutOfScopeRead(code=code, label_zh=label, where_to_go_zh=zh, where_to_go_en=en)
        for code, (label, zh, en) in OUT_OF_SCOPE.items()
    ]


async def list_categories(
    session: AsyncSession, params: PageParams, *, kind: str | None = None, include_inactive: bool = False
) -> tuple[list[Category], int]:
    """A short table: filtered by kind in Python, since JSON containment differs between the databases."""
    query = select(Category).order_by(Category.position, Category.code)
    if not include_inactive:
        query = query.where(Category.active)
    rows = [item for item in (await session.execute(query)).scalars() if kind is None or kind in item.kinds]
    return rows[params.offset : params.offset + params.limit], len(rows)


async def list_organisations(
    session: AsyncSession, params: PageParams, *, kind: OrganisationKind | None = None, include_inactive: bool = False
) -> tuple[list[Organisation], int]:
    query = select(Organisation).order_by(Organisation.position, Organisation.code)
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    if not include_inactive:
        query = query.where(Organisation.active)
    return await paginate(session, query, params)


async def list_holidays(
    session: AsyncSession, params: PageParams, *, year: int | None = None
) -> tuple[list[Holiday], int]:
    query = select(Holiday).order_by(Holiday.day)
    if year is not None:
        query = query.where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
    return await paginate(session, query, params)
