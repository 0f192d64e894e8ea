"""A villager's personal data (PIPL): the office erases a villager on request, and anyone signed in downloads
what the system keeps about them.

Erasure (`POST /api/admin/erasures`, the NPC office): the gateway forgets the account here — its phone number
and name, its sign-in codes and sessions — and, in the same transaction, stages `identity.person.erased.v1`
for every service, which removes what it keeps under that account or that phone number (names, numbers,
photos, exact points, the person's own words) and keeps the anonymised facts its figures count. The event is
the only one that carries a phone number: its stream keeps it only until every consumer acknowledged it, and
the gateway's relay deletes its outbox row once JetStream stored it. Nothing here keeps the number: the
erasure's own record says only that one was given. Officials are not erased (their actions are the office's
record): the office deactivates their accounts instead.

The download (`GET /api/auth/me/data`): the account as the gateway keeps it, and what each service that keeps
personal data answers on its own `GET /me/data` for the caller's token, in one JSON file. This is the
gateway calling services for a person, like Open311: a partial file would look complete, so a service that
does not answer makes the whole download a 503 to try again.
"""

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.deps import ClientDep, Gateway, GatewayDep, SessionDep
from gateway.identity import accounts, tokens
from gateway.identity.admin import ADMIN_ANSWERS, OfficeDep
from gateway.models import Account, Erasure, OneTimeCode, idempotency, outbox
from gateway.schemas import ErasureCreate, ErasureRead
from shared.auth import CurrentPrincipal, Principal, Role
from shared.errors import NotFound, ServiceUnavailable, Unprocessable
from shared.messaging.catalogue import PersonErased
from shared.messaging.idempotency import run_idempotent
from shared.messaging.outbox import stage
from shared.pagination import Page, PageDep, paginate
from shared.privacy import phone_forms
from shared.problems import responses
from shared.types import IdempotencyKeyHeader

router = APIRouter(tags=["admin"])

PERSONAL_DATA_SERVICES = ("case-intake", "station-scheduling", "micro-funding", "notification")
"""The services that keep a villager's data and answer `GET /me/data` (path segments under /api/)."""
ERASED_NAME = "（已删除）"


async def erase(
    session: AsyncSession, gateway: Gateway, principal: Principal, body: ErasureCreate, client: str
) -> ErasureRead:
    """Forget the account here and stage the event that tells every service (one transaction)."""
    now = gateway.clock.now()
    account = await _account_of(session, body)
    phone = body.phone or (account.phone if account is not None else None)
    if account is not None:
        if set(accounts.roles_of(account)) - {Role.villager}:
            raise Unprocessable("An official's account is not erased: deactivate it (its actions stay on record).")
        await tokens.revoke_account(session, account.id, now, "erased")
        account.phone, account.name, account.active, account.updated_at = None, ERASED_NAME, False, now
    if phone is not None:
        await session.execute(delete(OneTimeCode).where(OneTimeCode.phone.in_(phone_forms(phone))))
        gateway.sender.forget(phone_forms(phone))  # the development sender's outbox (none with a real one)
    erasure_id = str(uuid.uuid4())
    payload = PersonErased(
        erasure_id=erasure_id,
        account_id=account.id if account is not None else None,
        phone=phone,
        requested_by=principal.subject,
        at=now,
    )
    event_id = await stage(session, outbox, "gateway", payload)
    erasure = Erasure(
        id=erasure_id,
        account_id=payload.account_id,
        phone_given=phone is not None,
        reason=body.reason,
        requested_by=principal.subject,
        requested_at=now,
        event_id=event_id,
    )
    session.add(erasure)
    accounts.audit(
        session,
        principal,
        "person.erased",
        target_type="account" if account is not None else "phone",
        target_id=payload.account_id,
        client=client,
        now=now,
        detail={"erasure_id": erasure_id, "phone_given": erasure.phone_given},
    )
    await session.flush()
    return ErasureRead.model_validate({**_fields(erasure), "announced": False})


async def _account_of(session: AsyncSession, body: ErasureCreate) -> Account | None:
    if body.account_id is None and body.phone is None:
        raise Unprocessable("Name the account or the phone number to erase.")
    if body.account_id is not None:
        account = await session.get(Account, body.account_id)
        if account is None:
            raise NotFound("No such account.")
        if body.phone is not None and account.phone is not None and account.phone not in phone_forms(body.phone):
            raise Unprocessable("That phone number is not the account's.")
        return account
    assert body.phone is not None
    forms = phone_forms(body.phone)
    return (await session.execute(select(Account).where(Account.phone.in_(forms)))).scalars().first()


def _fields(erasure: Erasure) -> dict[str, Any]:
    return {name: getattr(erasure, name) for name in ErasureRead.model_fields if name != "announced"}


@router.post(
    "/api/admin/erasures",
    operation_id="admin-erasure-create",
    status_code=201,
    response_model=ErasureRead,
    responses=responses(*ADMIN_ANSWERS, 404),
)
async def create_erasure(
    body: ErasureCreate,
    session: SessionDep,
    gateway: GatewayDep,
    principal: OfficeDep,
    client: ClientDep,
    key: IdempotencyKeyHeader = None,
):  # type: ignore[no-untyped-def]
    """Erase a villager on request: the account here, and what every service keeps under it or the number."""

    async def create() -> ErasureRead:
        return await erase(session, gateway, principal, body, client)

    scope = f"{principal.subject}:admin-erasure-create"
    return await run_idempotent(session, idempotency, key=key, scope=scope, body=body, create=create)


@router.get(
    "/api/admin/erasures",
    operation_id="admin-erasure-list",
    response_model=Page[ErasureRead],
    responses=responses(*ADMIN_ANSWERS),
)
async def list_erasures(session: SessionDep, page: PageDep, _: OfficeDep) -> Page[ErasureRead]:
    """Erasures, the newest first; `announced` once every service has been told."""
    query = select(Erasure).order_by(Erasure.requested_at.desc(), Erasure.id)
    rows, total = await paginate(session, query, page)
    waiting = set(
        (
            await session.execute(
                select(outbox.c.event_id).where(outbox.c.event_id.in_([row.event_id for row in rows]))
            )
        ).scalars()
    )
    items = [ErasureRead.model_validate({**_fields(row), "announced": row.event_id not in waiting}) for row in rows]
    return Page(items=items, total=total, **page.model_dump())


@router.get(
    "/api/auth/me/data",
    operation_id="auth-me-data",
    responses={
        200: {"description": "Everything kept about the caller, as one JSON file", "content": {"application/json": {}}},
        **responses(401, 503),
    },
)
async def my_data(request: Request, session: SessionDep, gateway: GatewayDep, principal: CurrentPrincipal) -> Response:
    """Download what the system keeps about me: my account, my cases, bookings, objections, ratings and
    notification settings, from every service, in one file."""
    account = await session.get(Account, principal.subject)
    export: dict[str, Any] = {
        "exported_at": gateway.clock.now().isoformat(),
        "account": _account_export(account, principal),
    }
    authorization = {"Authorization": request.headers.get("authorization", "")}
    hop = request.app.state.hop
    for segment in PERSONAL_DATA_SERVICES:
        try:
            async with hop.call(segment, "GET", "/me/data", headers=authorization) as answer:
                if answer.status != 200:
                    raise ServiceUnavailable(
                        "{segment} could not list your data now; try again later.", params={"segment": segment}
                    )
                export[segment] = await answer.json()
        except ServiceUnavailable:
            raise
        except Exception as error:
            raise ServiceUnavailable(
                "{segment} could not list your data now; try again later.", params={"segment": segment}
            ) from error
    day = gateway.clock.now().strftime("%Y%m%d")
    return Response(
        json.dumps(export, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="my-data-{day}.json"', "Cache-Control": "no-store"},
    )


def _account_export(account: Account | None, principal: Principal) -> dict[str, Any]:
    if account is None:
        return {"id": principal.subject, "roles": sorted(principal.roles)}
    return {
        "id": account.id,
        "phone": account.phone,
        "name": account.name,
        "username": account.username,
        "roles": sorted(accounts.roles_of(account)),
        "created_at": account.created_at.isoformat(),
        "totp_enabled": account.totp_enabled,
    }
