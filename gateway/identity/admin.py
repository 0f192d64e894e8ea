"""The NPC office manages accounts, roles and integrators' API keys: /api/admin/... Every change is audited.

The office's own role is read from the database, not only from its token, so a revoked office account
loses these routes at once rather than when its access token expires.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from gateway.deps import ClientDep, GatewayDep, SessionDep
from gateway.identity import accounts, tokens
from gateway.models import Account, idempotency
from gateway.schemas import (
    AccountCreate,
    AccountRead,
    AccountUpdate,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    ApiKeyScope,
    AuditRead,
    PasswordReset,
)
from shared.auth import CurrentPrincipal, Principal, Role
from shared.errors import Forbidden, Unprocessable
from shared.messaging.idempotency import run_idempotent
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.types import EntityId, IdempotencyKeyHeader, text

router = APIRouter(prefix="/api/admin", tags=["admin"])
ADMIN_ANSWERS = (401, 403, 422)


async def office(session: SessionDep, principal: CurrentPrincipal) -> Principal:
    account = await session.get(Account, principal.subject)
    if account is None or not account.active or Role.npc_office not in accounts.roles_of(account):
        raise Forbidden("Only the NPC office manages accounts.")
    return principal


OfficeDep = Annotated[Principal, Depends(office)]


@router.get(
    "/accounts",
    operation_id="admin-account-list",
    response_model=Page[AccountRead],
    responses=responses(*ADMIN_ANSWERS),
)
async def list_accounts(
    session: SessionDep, page: PageDep, _: OfficeDep, role: Role | None = None, active: bool | None = None
) -> Page[AccountRead]:
    items, total = await accounts.list_accounts(session, page, role=role, active=active)
    return Page(items=[accounts.read_model(item) for item in items], total=total, **page.model_dump())


@router.post(
    "/accounts",
    operation_id="admin-account-create",
    status_code=201,
    response_model=AccountRead,
    responses=responses(*ADMIN_ANSWERS, 409),
)
async def create_account(
    body: AccountCreate,
    session: SessionDep,
    gateway: GatewayDep,
    principal: OfficeDep,
    client: ClientDep,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Make an official's account with an initial password (the official should change it)."""

    async def create() -> AccountRead:
        now = gateway.clock.now()
        account = await accounts.create_official(session, body, now)
        accounts.audit(
            session,
            principal,
            "account.created",
            target_type="account",
            target_id=account.id,
            client=client,
            now=now,
            detail={"username": account.username, "roles": account.roles, "organisation": account.organisation},
        )
        return accounts.read_model(account)

    scope = f"{principal.subject}:admin-account-create"
    return await run_idempotent(session, idempotency, key=key, scope=scope, body=body, create=create)


@router.get(
    "/accounts/{account_id}",
    operation_id="admin-account-get",
    response_model=AccountRead,
    responses=responses(*ADMIN_ANSWERS, 404),
)
async def get_account(account_id: EntityId, session: SessionDep, _: OfficeDep) -> AccountRead:
    return accounts.read_model(await accounts.get_account(session, account_id))


@router.patch(
    "/accounts/{account_id}",
    operation_id="admin-account-update",
    response_model=AccountRead,
    responses=responses(*ADMIN_ANSWERS, 404),
)
async def update_account(
    account_id: EntityId,
    body: AccountUpdate,
    session: SessionDep,
    gateway: GatewayDep,
    principal: OfficeDep,
    client: ClientDep,
) -> AccountRead:
    """Change names, roles, the deputy or organisation, or disable an account (its sessions end)."""
    account = await accounts.get_account(session, account_id)
    now = gateway.clock.now()
    if account.id == principal.subject and (
        body.active is False or (body.roles is not None and Role.npc_office not in body.roles)
    ):
        raise Unprocessable("You cannot disable your own account or remove your own office role.")
    changes = accounts.update_account(account, body, now)
    if "roles" in changes or changes.get("active") is False:
        await tokens.revoke_account(session, account.id, now, "roles-changed")
    accounts.audit(
        session,
        principal,
        "account.updated",
        target_type="account",
        target_id=account.id,
        client=client,
        now=now,
        detail=changes,
    )
    await session.commit()
    return accounts.read_model(account)


@router.post(
    "/accounts/{account_id}/password",
    operation_id="admin-account-password-reset",
    status_code=204,
    responses=responses(*ADMIN_ANSWERS, 404),
)
async def reset_password(
    account_id: EntityId,
    body: PasswordReset,
    session: SessionDep,
    gateway: GatewayDep,
    principal: OfficeDep,
    client: ClientDep,
) -> Response:
    """Set a new password for an official; every session of the account ends."""
    account = await accounts.get_account(session, account_id)
    if account.username is None:
        raise Unprocessable("Villagers sign in with one-time codes and have no password.")
    now = gateway.clock.now()
    account.password_hash, account.updated_at = await accounts.hash_password(body.password), now
    await tokens.revoke_account(session, account.id, now, "password-reset")
    accounts.audit(
        session,
        principal,
        "account.password-reset",
        target_type="account",
        target_id=account.id,
        client=client,
        now=now,
    )
    await session.commit()
    return Response(status_code=204)


@router.delete(
    "/accounts/{account_id}/totp",
    operation_id="admin-account-totp-reset",
    status_code=204,
    responses=responses(*ADMIN_ANSWERS, 404),
)
async def reset_totp(
    account_id: EntityId, session: SessionDep, gateway: GatewayDep, principal: OfficeDep, client: ClientDep
) -> Response:
    """Turn TOTP off for an official who lost their authenticator."""
    account = await accounts.get_account(session, account_id)
    now = gateway.clock.now()
    account.totp_enabled, account.totp_secret, account.totp_last_step, account.updated_at = False, None, None, now
    accounts.audit(
        session, principal, "account.totp-reset", target_type="account", target_id=account.id, client=client, now=now
    )
    await session.commit()
    return Response(status_code=204)


@router.delete(
    "/accounts/{account_id}/sessions",
    operation_id="admin-account-sessions-revoke",
    status_code=204,
    responses=responses(*ADMIN_ANSWERS, 404),
)
async def revoke_sessions(
    account_id: EntityId, session: SessionDep, gateway: GatewayDep, principal: OfficeDep, client: ClientDep
) -> Response:
    """Sign an account out everywhere (its refresh tokens stop working)."""
    account = await accounts.get_account(session, account_id)
    now = gateway.clock.now()
    await tokens.revoke_account(session, account.id, now, "revoked-by-office")
    accounts.audit(
        session,
        principal,
        "account.sessions-revoked",
        target_type="account",
        target_id=account.id,
        client=client,
        now=now,
    )
    await session.commit()
    return Response(status_code=204)


@router.get(
    "/audit", operation_id="admin-audit-list", response_model=Page[AuditRead], responses=responses(*ADMIN_ANSWERS)
)
async def list_audit(
    session: SessionDep,
    page: PageDep,
    _: OfficeDep,
    action: Annotated[text(60, 1) | None, Query()] = None,  # type: ignore[valid-type]
    actor_id: Annotated[text(64, 1) | None, Query()] = None,  # type: ignore[valid-type]
    target_id: Annotated[text(64, 1) | None, Query()] = None,  # type: ignore[valid-type]
) -> Page[AuditRead]:
    """Privileged actions, the newest first."""
    items, total = await accounts.list_audit(session, page, action=action, actor_id=actor_id, target_id=target_id)
    return Page(items=items, total=total, **page.model_dump())


@router.get(
    "/api-keys", operation_id="admin-api-key-list", response_model=list[ApiKeyRead], responses=responses(401, 403)
)
async def list_api_keys(session: SessionDep, _: OfficeDep) -> list[ApiKeyRead]:
    return [accounts.api_key_read(row) for row in await accounts.list_api_keys(session)]


@router.post(
    "/api-keys",
    operation_id="admin-api-key-create",
    status_code=201,
    response_model=ApiKeyCreated,
    responses=responses(*ADMIN_ANSWERS),
)
async def create_api_key(
    body: ApiKeyCreate, session: SessionDep, gateway: GatewayDep, principal: OfficeDep, client: ClientDep
) -> ApiKeyCreated:
    """A new API key for an integrator (Open311, and the events of its scope: the feed and webhooks); the key
    is in this answer only."""
    now = gateway.clock.now()
    key, raw = await accounts.create_api_key(session, body, principal.subject, now)
    accounts.audit(
        session,
        principal,
        "api-key.created",
        target_type="api-key",
        target_id=key.id,
        client=client,
        now=now,
        detail={"name": key.name, "prefix": key.prefix, "event_types": key.event_types, "townships": key.townships},
    )
    await session.commit()
    return ApiKeyCreated(**accounts.api_key_read(key).model_dump(), key=raw)


@router.put(
    "/api-keys/{key_id}/scope",
    operation_id="admin-api-key-scope",
    response_model=ApiKeyRead,
    responses=responses(*ADMIN_ANSWERS, 404),
)
async def set_api_key_scope(
    key_id: EntityId,
    body: ApiKeyScope,
    session: SessionDep,
    gateway: GatewayDep,
    principal: OfficeDep,
    client: ClientDep,
) -> ApiKeyRead:
    """Which events a key gets (the feed and its webhooks): event types and townships. Takes effect for events
    from now on."""
    key = await accounts.get_api_key(session, key_id)
    accounts.set_scope(key, body.event_types, body.townships)
    accounts.audit(
        session,
        principal,
        "api-key.scope-changed",
        target_type="api-key",
        target_id=key.id,
        client=client,
        now=gateway.clock.now(),
        detail={"event_types": key.event_types, "townships": key.townships},
    )
    await session.commit()
    return accounts.api_key_read(key)


@router.delete(
    "/api-keys/{key_id}",
    operation_id="admin-api-key-revoke",
    status_code=204,
    responses=responses(*ADMIN_ANSWERS, 404),
)
async def revoke_api_key(
    key_id: EntityId, session: SessionDep, gateway: GatewayDep, principal: OfficeDep, client: ClientDep
) -> Response:
    key = await accounts.get_api_key(session, key_id)
    now = gateway.clock.now()
    if key.revoked_at is None:
        key.revoked_at = now
        accounts.audit(
            session, principal, "api-key.revoked", target_type="api-key", target_id=key.id, client=client, now=now
        )
        await session.commit()
    return Response(status_code=204)
