"""Deputies as the caller may see them: the public profile; contact details masked for officials; full
contact and home only for the office and the deputy themself (the route decides which view)."""

from collections.abc import Callable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.models import Deputy
from services.deputy.schemas import DeputyRead, LatLon
from services.deputy.views import page
from shared.pagination import Page, PageParams, paginate
from shared.privacy import mask_phone


def deputy_read(deputy: Deputy, view: str) -> DeputyRead:
    """`view`: public · masked · full."""
    answer = DeputyRead(
        id=deputy.id,
        code=deputy.code,
        name=deputy.name,
        level=deputy.level,
        district=deputy.district,
        council_member=deputy.council_member,
        organisation=deputy.organisation,
        status=deputy.status,
        retired_on=deputy.retired_on,
        is_demo=deputy.is_demo,
        view=view,
    )
    if view == "public":
        return answer
    answer.home_grid_id, answer.version = deputy.home_grid_id, deputy.version
    answer.contact_phone = deputy.contact_phone if view == "full" else mask_phone(deputy.contact_phone)
    if view == "full" and deputy.home_lat is not None and deputy.home_lon is not None:
        answer.home_location = LatLon(lat=deputy.home_lat, lon=deputy.home_lon)
    return answer


async def list_deputies(
    session: AsyncSession,
    params: PageParams,
    view_of: Callable[[str], str],
    *,
    level: str | None = None,
    district: str | None = None,
    status: str | None = None,
    q: str | None = None,
) -> Page[DeputyRead]:
    """Deputies by code, each in the view `view_of(deputy_id)` gives."""
    query = select(Deputy).order_by(Deputy.code)
    if level:
        query = query.where(or_(Deputy.level == level, Deputy.level == "both"))
    if district:
        query = query.where(Deputy.district == district)
    if status:
        query = query.where(Deputy.status == status)
    if q:
        query = query.where(or_(Deputy.name.contains(q, autoescape=True), Deputy.code.contains(q, autoescape=True)))
    items, total = await paginate(session, query, params)
    return page([deputy_read(item, view_of(item.id)) for item in items], total, params)
