"""A person's notifications list: a signed-in account's, or the notices about the cases whose tracking codes
the caller holds (a villager without an account)."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.notification import views
from services.notification.logic import subscriptions
from services.notification.schemas import NotificationRead
from shared.auth import OptionalPrincipal
from shared.errors import Unauthorized
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.types import TrackingCodeText

router = APIRouter(tags=["notification"])


@router.get(
    "/notifications",
    operation_id="notification-list",
    response_model=Page[NotificationRead],
    responses=responses(401, 422),
)
async def notifications(
    db: SessionDep,
    runtime: RuntimeDep,
    page: PageDep,
    principal: OptionalPrincipal,
    code: Annotated[list[TrackingCodeText] | None, Query(max_length=20, description="Tracking codes you hold")] = None,
) -> Page[NotificationRead]:
    """Newest first. With `code`: what those cases' followers were told; else the signed-in account's (an
    official opening it is known from then on: an agency officer hears of referrals to their organisation)."""
    if code:
        return await views.notifications_of_cases(db, list(dict.fromkeys(code)), page)
    if principal is None:
        raise Unauthorized("Sign in, or name the tracking codes of your cases.")
    if await subscriptions.learn_account(db, principal, runtime.clock.now()):
        await db.commit()
    return await views.notifications_of_account(db, principal.subject, page)
