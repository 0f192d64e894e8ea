"""Accounts and their rules: officials' passwords (argon2) and TOTP, villagers by phone, the NPC office's
account management, the audit log of privileged actions, and integrators' API keys. No FastAPI here."""

import asyncio
import functools
import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity import totp
from gateway.identity.sealed import Sealer
from gateway.integrations import scopes
from gateway.models import Account, ApiKey, AuditEntry
from gateway.schemas import AccountCreate, AccountRead, AccountUpdate, ApiKeyCreate, ApiKeyRead, AuditRead
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from shared.logs import request_id_var
from shared.pagination import PageParams, paginate
from shared.privacy import mask_phone

hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown user names against, so that they cost as much time as a wrong password."""
    return hasher.hash("no such account")


class TotpRequired(Unauthorized):
    slug, title = "totp-required", "A TOTP code is required"


def roles_of(account: Account) -> list[Role]:
    return [Role(role) for role in account.roles.split(",") if role]


def principal_of(account: Account) -> Principal:
    return Principal(
        subject=account.id,
        roles=frozenset(roles_of(account)),
        name=account.name,
        deputy_id=account.deputy_id,
        organisation=account.organisation,
    )


def read_model(account: Account) -> AccountRead:
    return AccountRead(
        id=account.id,
        username=account.username,
        name=account.name,
        roles=[str(role) for role in roles_of(account)],
        deputy_id=account.deputy_id,
        organisation=account.organisation,
        active=account.active,
        totp_enabled=account.totp_enabled,
        phone_masked=mask_phone(account.phone),
        is_demo=account.is_demo,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


async def authenticate(
    session: AsyncSession, username: str, password: str, totp_code: str | None, now: datetime, sealer: Sealer
) -> Account:
    """An official's sign-in: the password, then the TOTP code when the account has TOTP on (its secret is kept
    sealed: `sealer` opens it)."""
    account = (await session.execute(select(Account).where(Account.username == username))).scalar_one_or_none()
    try:
        await verify_password(account.password_hash if account and account.password_hash else _dummy_hash(), password)
        if account is None or not account.password_hash or not account.active:
            raise VerifyMismatchError
    except (VerificationError, InvalidHashError) as error:
        raise Unauthorized("The user name or password is wrong.") from error
    if account.totp_enabled and account.totp_secret:
        if totp_code is None:
            raise TotpRequired("Enter the 6-digit code from your authenticator app.")
        step = totp.matching_step(sealer.open(account.totp_secret), totp_code, now, account.totp_last_step)
        if step is None:
            raise Unauthorized("The TOTP code is wrong or was already used.")
        account.totp_last_step = step
    if hasher.check_needs_rehash(account.password_hash):
        account.password_hash = await hash_password(password)
    return account


async def hash_password(password: str) -> str:
    """argon2 takes a few hundred milliseconds of CPU by design: off the event loop, so the proxy keeps going."""
    return await asyncio.to_thread(hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> None:
    await asyncio.to_thread(hasher.verify, password_hash, password)


async def villager_by_phone(session: AsyncSession, phone: str, now: datetime) -> Account:
    """The villager account of a phone number, made on first sign-in. Officials sign in with passwords."""
    account = (await session.execute(select(Account).where(Account.phone == phone))).scalar_one_or_none()
    if account is None:
        account = Account(
            id=str(uuid.uuid4()),
            phone=phone,
            name="",
            roles=Role.villager.value,
            active=True,
            totp_enabled=False,
            is_demo=False,
            created_at=now,
        )
        session.add(account)
        await session.flush()
    if not account.active:
        raise Unauthorized("This account is disabled; please contact your liaison station.")
    if set(roles_of(account)) != {Role.villager}:
        raise Forbidden("This number belongs to an official account: sign in with your password.")
    return account


def new_account(
    username: str,
    password_hash: str,
    name: str,
    roles: list[Role],
    *,
    deputy_id: str | None = None,
    organisation: str | None = None,
    is_demo: bool = False,
    now: datetime | None = None,
) -> Account:
    return Account(
        id=str(uuid.uuid4()),
        username=username,
        password_hash=password_hash,
        name=name,
        roles=",".join(sorted(set(roles))),
        deputy_id=deputy_id,
        organisation=organisation,
        active=True,
        totp_enabled=False,
        is_demo=is_demo,
        created_at=now or datetime.now(UTC),
    )


# --- the NPC office's account management -------------------------------------------------------------


EXCLUSIVE_ROLES = ((Role.deputy, Role.finance),)
"""Roles one account may not hold together (separation of duties: a deputy proposes and approves
micro-projects, finance pays them out)."""


def _check_roles(roles: set[Role], deputy_id: str | None, organisation: str | None) -> None:
    for first, second in EXCLUSIVE_ROLES:
        if {first, second} <= roles:
            raise Unprocessable(
                "One account may not hold both the {first} and the {second} role (separation of duties): "
                "make two accounts.",
                params={"first": first.value, "second": second.value},
            )
    if Role.deputy in roles and not deputy_id:
        raise Unprocessable("A deputy's account must name the deputy (deputy_id).")
    if Role.agency_officer in roles and not organisation:
        raise Unprocessable("An agency officer's account must name the organisation.")


async def get_account(session: AsyncSession, account_id: str) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound("No account {account_id}.", params={"account_id": account_id})
    return account


async def create_official(session: AsyncSession, data: AccountCreate, now: datetime) -> Account:
    _check_roles(set(data.roles), data.deputy_id, data.organisation)
    account = new_account(
        data.username,
        await hash_password(data.password),
        data.name,
        data.roles,
        deputy_id=data.deputy_id,
        organisation=data.organisation,
        now=now,
    )
    session.add(account)
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict("The user name {username} is taken.", params={"username": repr(data.username)}) from error
    return account


def update_account(account: Account, data: AccountUpdate, now: datetime) -> dict:
    """Apply the changes; returns what changed (for the audit log)."""
    changes = data.model_dump(exclude_unset=True, mode="json")
    if "roles" in changes and changes["roles"] is not None:
        changes["roles"] = ",".join(sorted(set(changes["roles"])))
    changes = {
        key: value for key, value in changes.items() if value is not None or key in ("deputy_id", "organisation")
    }
    roles = set(Role(role) for role in changes.get("roles", account.roles).split(",") if role)
    _check_roles(roles, changes.get("deputy_id", account.deputy_id), changes.get("organisation", account.organisation))
    for key, value in changes.items():
        setattr(account, key, value)
    account.updated_at = now
    return changes


async def list_accounts(
    session: AsyncSession, params: PageParams, *, role: Role | None, active: bool | None
) -> tuple[list[Account], int]:
    query = select(Account).order_by(Account.created_at, Account.id)
    if role is not None:
        query = query.where(Account.roles.contains(role.value))
    if active is not None:
        query = query.where(Account.active.is_(active))
    return await paginate(session, query, params)


# --- the audit log -------------------------------------------------------------------------------------


def audit(
    session: AsyncSession,
    actor: Principal | None,
    action: str,
    *,
    target_type: str,
    target_id: str | None,
    client: str,
    now: datetime,
    detail: dict | None = None,
) -> None:
    """Record a privileged action in the caller's transaction. Never pass a secret in `detail`."""
    session.add(
        AuditEntry(
            id=str(uuid.uuid4()),
            at=now,
            actor_id=actor.subject if actor else None,
            actor_name=(actor.name if actor else "") or "",
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
            client=client,
            request_id=request_id_var.get(),
        )
    )


async def list_audit(
    session: AsyncSession, params: PageParams, *, action: str | None, actor_id: str | None, target_id: str | None
) -> tuple[list[AuditRead], int]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    rows, total = await paginate(session, query, params)
    return [
        AuditRead.model_validate({**{c: getattr(r, c) for c in AuditRead.model_fields}, "detail": json.loads(r.detail)})
        for r in rows
    ], total


# --- integrators' API keys (Open311) -------------------------------------------------------------------


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def create_api_key(
    session: AsyncSession, data: ApiKeyCreate, created_by: str, now: datetime
) -> tuple[ApiKey, str]:
    raw = "o311_" + secrets.token_urlsafe(32)
    key = ApiKey(
        id=str(uuid.uuid4()),
        name=data.name,
        prefix=raw[:12],
        key_hash=hash_key(raw),
        created_at=now,
        created_by=created_by,
    )
    set_scope(key, data.event_types, data.townships)
    session.add(key)
    await session.flush()
    return key, raw


def set_scope(key: ApiKey, event_types: list[str], townships: list[str] | None) -> None:
    key.event_types = scopes.checked_types(event_types)
    key.townships = None if townships is None else ",".join(sorted(set(townships)))


def api_key_read(key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        created_at=key.created_at,
        created_by=key.created_by,
        revoked_at=key.revoked_at,
        event_types=scopes.types_of(key),
        townships=scopes.townships_of(key),
    )


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.execute(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id).limit(1000))).scalars())


async def api_key_of(session: AsyncSession, raw: str) -> ApiKey | None:
    if not raw or len(raw) > 200:
        return None
    key = (await session.execute(select(ApiKey).where(ApiKey.key_hash == hash_key(raw)))).scalar_one_or_none()
    return key if key is not None and key.revoked_at is None else None


async def get_api_key(session: AsyncSession, key_id: str) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("No API key {key_id}.", params={"key_id": key_id})
    return key


def integrator_principal(key: ApiKey) -> Principal:
    """Who an Open311 integrator is to the services: a principal of no role, the filer of its own cases."""
    return Principal(subject=f"apikey:{key.id}", roles=frozenset(), name=key.name)
