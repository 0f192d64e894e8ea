"""A deputy's inbox: open cases first, the most urgent (earliest deadline) first; closed ones and those
awaiting the villager's confirmation after."""

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain.inbox import OFF_THE_DEPUTYS_HANDS
from services.deputy.models import InboxCase
from services.deputy.schemas import InboxCaseRead
from services.deputy.views import page
from shared.pagination import Page, PageParams, paginate


async def inbox(
    session: AsyncSession, deputy_id: str, params: PageParams, *, open_only: bool = False
) -> Page[InboxCaseRead]:
    off_hands = case((InboxCase.status.in_(OFF_THE_DEPUTYS_HANDS), 1), else_=0)
    query = (
        select(InboxCase)
        .where(InboxCase.deputy_id == deputy_id)
        .order_by(off_hands, InboxCase.accept_due_at, InboxCase.case_id)
    )
    if open_only:
        query = query.where(InboxCase.status.not_in(OFF_THE_DEPUTYS_HANDS))
    items, total = await paginate(session, query, params)
    # `summary` names the category: rows projected from case.case.submitted.v1 held the start of the villager's
    # words, which no event carries any more and the inbox does not show.
    rows = [InboxCaseRead.model_validate(item).model_copy(update={"summary": item.category}) for item in items]
    return page(rows, total, params)
