"""The office's view of delivery: the log (what went, what failed and why) and figures per channel and day."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.notification import views
from services.notification.schemas import DeliveryRead, Figures
from shared.auth import CurrentPrincipal, Role
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep

router = APIRouter(tags=["notification"])
OFFICE = (Role.npc_office, Role.station_staff)


@router.get(
    "/deliveries",
    operation_id="notification-delivery-log",
    response_model=Page[DeliveryRead],
    responses=responses(401, 403, 422),
)
async def delivery_log(
    db: SessionDep,
    page: PageDep,
    principal: CurrentPrincipal,
    status: Literal["pending", "sending", "sent", "failed", "gone", "skipped", "folded"] | None = None,
    channel: Literal["push", "sms", "app"] | None = None,
) -> Page[DeliveryRead]:
    principal.require(*OFFICE)
    return await views.delivery_log(db, page, status, channel)


@router.get("/figures", operation_id="notification-figures", response_model=Figures, responses=responses(401, 403, 422))
async def figures(
    db: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> Figures:
    principal.require(*OFFICE)
    return await views.figures(db, runtime.clock.now(), days)
