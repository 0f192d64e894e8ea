"""Limit/offset pages with a total, the same shape on every list."""

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0


async def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


async def paginate(session: AsyncSession, query: Select, params: PageParams) -> tuple[list, int]:
    """Run `query` for one page; returns the rows (scalars) and the total count."""
    total = (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()
    rows = (await session.execute(query.limit(params.limit).offset(params.offset))).scalars().all()
    return list(rows), total


PageDep = Annotated[PageParams, Depends(page_params)]
"""A route's `page: PageDep` parameter: `limit` and `offset` from the query, validated."""
