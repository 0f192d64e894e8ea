"""The NPC office manages integrators' webhooks and reads the delivery log: /api/admin/... (audited).

A webhook belongs to an API key and gets the events of the key's scope (gateway.integrations.webhooks says how
they are signed, retried and kept); its signing secret is shown once, when it is made."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from gateway.deps import ClientDep, GatewayDep, SessionDep
from gateway.identity import accounts
from gateway.identity.admin import ADMIN_ANSWERS, OfficeDep
from gateway.integrations import webhooks
from gateway.models import Webhook, WebhookDelivery
from gateway.schemas import DeliveryRead, WebhookCreate, WebhookCreated, WebhookRead
from shared.errors import NotFound, Unprocessable
from shared.pagination import Page, PageDep, paginate
from shared.problems import responses
from shared.types import EntityId

router = APIRouter(prefix="/api/admin", tags=["admin"])
DELIVERY_STATUSES = ("pending", "delivered", "failed", "cancelled")


@router.post(
    "/api-keys/{key_id}/webhooks",
    operation_id="admin-webhook-create",
    status_code=201,
    response_model=WebhookCreated,
    responses=responses(*ADMIN_ANSWERS, 404),
)
async def create_webhook(
    key_id: EntityId,
    body: WebhookCreate,
    session: SessionDep,
    gateway: GatewayDep,
    principal: OfficeDep,
    client: ClientDep,
) -> WebhookCreated:
    """A webhook for an API key: https to a public address; its events are those of the key's scope from now on."""
    key = await accounts.get_api_key(session, key_id)
    if key.revoked_at is not None:
        raise Unprocessable("The API key is revoked.")
    url = webhooks.check_target(body.url, allow_loopback=gateway.settings.webhook_allow_loopback)
    now, secret = gateway.clock.now(), webhooks.new_secret()
    hook = Webhook(
        id=str(uuid.uuid4()),
        api_key_id=key.id,
        url=url,
        secret=gateway.sealer.seal(secret),
        created_at=now,
        created_by=principal.subject,
    )
    session.add(hook)
    accounts.audit(
        session,
        principal,
        "webhook.created",
        target_type="webhook",
        target_id=hook.id,
        client=client,
        now=now,
        detail={"api_key_id": key.id, "url": url},
    )
    await session.commit()
    return WebhookCreated(**WebhookRead.model_validate(hook).model_dump(), secret=secret)


@router.get(
    "/webhooks",
    operation_id="admin-webhook-list",
    response_model=Page[WebhookRead],
    responses=responses(*ADMIN_ANSWERS),
)
async def list_webhooks(
    session: SessionDep, page: PageDep, _: OfficeDep, api_key_id: EntityId | None = None
) -> Page[WebhookRead]:
    query = select(Webhook).order_by(Webhook.created_at, Webhook.id)
    if api_key_id is not None:
        query = query.where(Webhook.api_key_id == api_key_id)
    rows, total = await paginate(session, query, page)
    return Page(items=[WebhookRead.model_validate(row) for row in rows], total=total, **page.model_dump())


@router.delete(
    "/webhooks/{webhook_id}",
    operation_id="admin-webhook-disable",
    status_code=204,
    responses=responses(*ADMIN_ANSWERS, 404),
)
async def disable_webhook(
    webhook_id: EntityId, session: SessionDep, gateway: GatewayDep, principal: OfficeDep, client: ClientDep
) -> Response:
    """Stop a webhook: no new deliveries, the waiting ones are cancelled."""
    hook = await session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound("No webhook {webhook_id}.", params={"webhook_id": webhook_id})
    if hook.disabled_at is None:
        now = gateway.clock.now()
        hook.disabled_at = now
        accounts.audit(
            session, principal, "webhook.disabled", target_type="webhook", target_id=hook.id, client=client, now=now
        )
        await session.commit()
    return Response(status_code=204)


@router.get(
    "/webhook-deliveries",
    operation_id="admin-webhook-delivery-list",
    response_model=Page[DeliveryRead],
    responses=responses(*ADMIN_ANSWERS),
)
async def list_deliveries(
    session: SessionDep,
    page: PageDep,
    _: OfficeDep,
    webhook_id: EntityId | None = None,
    status: Annotated[str | None, Query(pattern="^(" + "|".join(DELIVERY_STATUSES) + ")$")] = None,
) -> Page[DeliveryRead]:
    """The delivery log, the newest first: each delivery's attempts, the receiver's last answer or error."""
    query = select(WebhookDelivery).order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
    if webhook_id is not None:
        query = query.where(WebhookDelivery.webhook_id == webhook_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    rows, total = await paginate(session, query, page)
    return Page(items=[DeliveryRead.model_validate(row) for row in rows], total=total, **page.model_dump())
