"""Read models of the deputy service: deputies as the caller may see them, the inbox, the record of duty and
the support pairs, the five ones and the statistics. Queries here only read; each module one topic.
The caller (a route) has checked who asks and that the deputy exists."""

from typing import TypeVar

from pydantic import BaseModel

from shared.pagination import Page, PageParams

M = TypeVar("M", bound=BaseModel)


def page(items: list[M], total: int, params: PageParams) -> Page[M]:
    return Page(items=items, total=total, **params.model_dump())
