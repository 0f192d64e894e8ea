"""Devices: the VAPID key a browser subscribes with, registering a push subscription (with the cases it
follows) and forgetting it."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from services.notification.logic import subscriptions
from services.notification.schemas import ServerKey, SubscriptionCreate, SubscriptionRead
from shared.auth import OptionalPrincipal
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import IdempotencyKeyHeader, text

router = APIRouter(tags=["notification"])


@router.get("/vapid-public-key", operation_id="notification-server-key", response_model=ServerKey)
async def server_key(request: Request) -> ServerKey:
    """The application server key for `PushManager.subscribe({applicationServerKey})`."""
    return ServerKey(application_server_key=request.app.state.runtime.vapid.application_server_key)


@router.post(
    "/subscriptions",
    operation_id="notification-subscribe",
    status_code=201,
    response_model=SubscriptionRead,
    responses=responses(401, 409, 422),
)
async def subscribe(
    body: SubscriptionCreate,
    db: SessionDep,
    runtime: RuntimeDep,
    principal: OptionalPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Register this browser's PushSubscription JSON. Signed in: a device of the account (a deputy hears of the
    cases routed to them). `follow`: tracking codes this device hears of (signed in: every device of the
    account). Registering the same endpoint again updates it."""

    async def create() -> SubscriptionRead:
        device, follows = await subscriptions.register(db, runtime, body, principal)
        return SubscriptionRead(
            id=device.id,
            signed_in=device.owner is not None,
            language=device.language,
            follows=follows,
            created_at=device.created_at,
        )

    scope = f"{principal.subject if principal else 'anonymous'}:subscribe"
    return await once(key=key, scope=scope, body=body, create=create, status_code=201)


@router.delete(
    "/subscriptions",
    operation_id="notification-unsubscribe",
    status_code=204,
    responses=responses(404, 422),
)
async def unsubscribe(
    endpoint: Annotated[text(1000, 1), Query(description="The subscription's endpoint")],  # type: ignore[valid-type]
    db: SessionDep,
) -> Response:
    """Forget this browser (turning notifications off): the endpoint, the browser's own secret, names it."""
    await subscriptions.unregister(db, endpoint)
    return Response(status_code=204)
