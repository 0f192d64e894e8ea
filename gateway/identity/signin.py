"""Sign-in and tokens: /api/auth/... (villagers by one-time code, officials by password and TOTP)."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from gateway.deps import ClientDep, Gateway, GatewayDep, SessionDep
from gateway.identity import accounts, otp, tokens, totp
from gateway.models import Account
from gateway.schemas import (
    CodeRequest,
    CodeSent,
    CodeVerify,
    DevCode,
    Jwks,
    Me,
    PasswordLogin,
    Phone,
    RefreshRequest,
    TokenRead,
    TotpCode,
    TotpSetup,
)
from gateway.settings import GatewaySettings
from shared.auth import CurrentPrincipal
from shared.errors import Forbidden, NotFound, Unauthorized, Unprocessable
from shared.i18n import N_
from shared.privacy import mask_phone
from shared.problems import responses

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/auth", tags=["auth"])


def code_policy(gateway: Gateway) -> otp.CodePolicy:
    settings = gateway.settings
    return otp.CodePolicy(
        valid_for=timedelta(seconds=settings.otp_valid_seconds),
        max_attempts=settings.otp_max_attempts,
        per_minute=settings.otp_per_minute,
        per_hour=settings.otp_per_hour,
        client_per_minute=settings.otp_client_per_minute,
        client_per_hour=settings.otp_client_per_hour,
    )


async def _signed_in(
    session: SessionDep, gateway: Gateway, account: Account, family_id: str | None = None
) -> TokenRead:
    """Issue an access token and a refresh token for the account, and commit."""
    settings, now = gateway.settings, gateway.clock.now()
    refresh_lifetime = timedelta(days=settings.refresh_token_days)
    refresh = await tokens.start_family(session, account.id, now=now, lifetime=refresh_lifetime, family_id=family_id)
    await session.commit()
    return _token_read(gateway, account, refresh)


def _token_read(gateway: Gateway, account: Account, refresh: str) -> TokenRead:
    # Access tokens are checked by the services against their own wall clocks, so they are stamped with the
    # wall clock too; the injectable clock governs codes, limits and refresh tokens.
    settings, now = gateway.settings, datetime.now(UTC)
    lifetime = timedelta(minutes=settings.access_token_minutes)
    principal = accounts.principal_of(account)
    access = tokens.access_token(
        principal,
        private_key=gateway.private_key,
        key_id=gateway.key_id,
        issuer=settings.token_issuer,
        lifetime=lifetime,
        now=now,
    )
    return TokenRead(
        access_token=access,
        expires_in=int(lifetime.total_seconds()),
        refresh_token=refresh,
        refresh_expires_in=settings.refresh_token_days * 86_400,
        name=account.name,
        roles=sorted(principal.roles),
        deputy_id=account.deputy_id,
        organisation=account.organisation,
    )


@router.post("/login", operation_id="auth-login", response_model=TokenRead, responses=responses(401, 422, 429))
async def login(body: PasswordLogin, session: SessionDep, gateway: GatewayDep, client: ClientDep) -> TokenRead:
    """Officials sign in with a user name and password (and a TOTP code when they turned TOTP on).

    A wrong password and a missing or wrong TOTP code are both failures: too many from one address (for any
    account, or for one account) → 429 for that address; many for one account from anywhere only make its
    answers slower, so that strangers cannot lock an official out."""
    limits = gateway.limits
    limits.signin.hit(client, N_("Too many sign-in attempts from this address; please wait."))
    account_key = body.username.lower()
    here = f"{account_key}\n{client}"
    limits.password_failures.check(client, N_("Too many failed sign-ins from this address; please wait."))
    limits.account_failures_here.check(
        here, N_("Too many failed sign-ins for this user from this address; please wait.")
    )
    if wait := slowdown(gateway.settings, limits.account_failures.count(account_key)):
        await asyncio.sleep(wait)
    try:
        account = await accounts.authenticate(
            session, body.username, body.password, body.totp_code, gateway.clock.now(), gateway.sealer
        )
    except Unauthorized:  # TotpRequired too: a missing code counts like a wrong one
        for window, key in ((limits.password_failures, client), (limits.account_failures_here, here)):
            window.note(key)
        limits.account_failures.note(account_key)
        raise
    principal = accounts.principal_of(account)
    accounts.audit(
        session,
        principal,
        "signin.password",
        target_type="account",
        target_id=account.id,
        client=client,
        now=gateway.clock.now(),
        detail={"totp": account.totp_enabled},
    )
    return await _signed_in(session, gateway, account)


def slowdown(settings: GatewaySettings, failures: int) -> float:
    """Seconds to wait before checking an account's password: nothing up to the threshold, then a quarter of a
    second doubling with every further failure, up to the maximum."""
    over = failures - settings.password_failures_before_slowdown
    return 0.0 if over < 0 else min(settings.password_slowdown_max_seconds, 0.25 * 2 ** min(over, 16))


@router.post(
    "/otp/request",
    operation_id="auth-otp-request",
    status_code=202,
    response_model=CodeSent,
    responses=responses(422, 429, 503),
)
async def request_code(body: CodeRequest, session: SessionDep, gateway: GatewayDep, client: ClientDep) -> CodeSent:
    """Send a villager a 6-digit sign-in code by text message (valid 5 minutes, at most one a minute)."""
    gateway.limits.signin.hit(client, N_("Too many sign-in attempts from this address; please wait."))
    policy, now = code_policy(gateway), gateway.clock.now()
    key = otp.code_key(gateway.private_key)
    code, row = await otp.issue(session, phone=body.phone, client=client, now=now, key=key, policy=policy)
    try:
        await gateway.sender.send(body.phone, code, int(policy.valid_for.total_seconds() // 60))
    except Exception as error:
        log.error("the one-time code could not be sent: %s", error)
        await otp.withdraw(session, row, now)
    return CodeSent(
        phone_masked=mask_phone(body.phone) or "",
        expires_in=int(policy.valid_for.total_seconds()),
        resend_after=max(1, 60 // max(policy.per_minute, 1)),
    )


@router.post(
    "/otp/verify", operation_id="auth-otp-verify", response_model=TokenRead, responses=responses(401, 403, 422, 429)
)
async def verify_code(body: CodeVerify, session: SessionDep, gateway: GatewayDep, client: ClientDep) -> TokenRead:
    """A villager signs in with the code; the first sign-in of a number makes its account."""
    gateway.limits.signin.hit(client, N_("Too many sign-in attempts from this address; please wait."))
    now = gateway.clock.now()
    key = otp.code_key(gateway.private_key)
    await otp.check(session, phone=body.phone, code=body.code, now=now, key=key, policy=code_policy(gateway))
    account = await accounts.villager_by_phone(session, body.phone, now)
    return await _signed_in(session, gateway, account)


@router.post("/refresh", operation_id="auth-refresh", response_model=TokenRead, responses=responses(401, 422))
async def refresh(body: RefreshRequest, session: SessionDep, gateway: GatewayDep, client: ClientDep) -> TokenRead:
    """Trade a refresh token for a new access token and a new refresh token; the old one is spent."""
    now = gateway.clock.now()
    lifetime = timedelta(days=gateway.settings.refresh_token_days)
    try:
        account, raw = await tokens.rotate(session, body.refresh_token, now=now, lifetime=lifetime)
    except tokens.RefreshReused as error:
        accounts.audit(
            session,
            None,
            "refresh.reuse-detected",
            target_type="account",
            target_id=error.account_id,
            client=client,
            now=now,
            detail={"family_id": error.family_id},
        )
        await session.commit()
        raise
    await session.commit()
    return _token_read(gateway, account, raw)


@router.post("/logout", operation_id="auth-logout", status_code=204, responses=responses(422))
async def logout(body: RefreshRequest, session: SessionDep, gateway: GatewayDep) -> Response:
    """Sign out: the refresh token and every token of its family stop working (access tokens expire soon)."""
    await tokens.logout(session, body.refresh_token, gateway.clock.now())
    await session.commit()
    return Response(status_code=204)


@router.get("/me", operation_id="auth-me", response_model=Me, responses=responses(401))
async def me(principal: CurrentPrincipal) -> Me:
    return Me(
        subject=principal.subject,
        roles=sorted(principal.roles),
        name=principal.name,
        deputy_id=principal.deputy_id,
        organisation=principal.organisation,
    )


@router.get("/jwks.json", operation_id="auth-jwks", response_model=Jwks)
async def jwks(gateway: GatewayDep) -> JSONResponse:
    """The public keys that verify access tokens (RFC 7517; Ed25519 as OKP, RFC 8037): the current one first,
    then the one before a rotation while its tokens may live."""
    return JSONResponse(gateway.keys.jwks(), headers={"Cache-Control": "public, max-age=60"})


async def _official(session: SessionDep, principal: CurrentPrincipal) -> Account:
    account = await session.get(Account, principal.subject)
    if account is None or not account.active:
        raise Unauthorized("This account no longer exists or is disabled.")
    if not account.password_hash:
        raise Forbidden("TOTP is for officials who sign in with a password.")
    return account


@router.post(
    "/totp/setup", operation_id="auth-totp-setup", response_model=TotpSetup, responses=responses(401, 403, 422)
)
async def totp_setup(session: SessionDep, principal: CurrentPrincipal, gateway: GatewayDep) -> TotpSetup:
    """Start turning TOTP on: a new secret for the authenticator app, active after /totp/enable."""
    account = await _official(session, principal)
    if account.totp_enabled:
        raise Unprocessable("TOTP is already on; turn it off first to change the secret.")
    secret = totp.new_secret()
    account.totp_secret = gateway.sealer.seal(secret)  # kept sealed; shown this once
    account.totp_last_step = None
    await session.commit()
    return TotpSetup(secret=secret, otpauth_uri=totp.provisioning_uri(secret, account.username or ""))


@router.post("/totp/enable", operation_id="auth-totp-enable", status_code=204, responses=responses(401, 403, 422))
async def totp_enable(
    body: TotpCode, session: SessionDep, principal: CurrentPrincipal, gateway: GatewayDep, client: ClientDep
) -> Response:
    """Turn TOTP on by proving the authenticator app has the secret."""
    account = await _official(session, principal)
    now = gateway.clock.now()
    secret = gateway.sealer.open(account.totp_secret) if account.totp_secret else None
    step = totp.matching_step(secret, body.code, now, None) if secret else None
    if account.totp_enabled or step is None:
        raise Unprocessable("The code does not match; set TOTP up first and enter the current code.")
    account.totp_enabled, account.totp_last_step, account.updated_at = True, step, now
    accounts.audit(
        session, principal, "totp.enabled", target_type="account", target_id=account.id, client=client, now=now
    )
    await session.commit()
    return Response(status_code=204)


@router.post("/totp/disable", operation_id="auth-totp-disable", status_code=204, responses=responses(401, 403, 422))
async def totp_disable(
    body: TotpCode, session: SessionDep, principal: CurrentPrincipal, gateway: GatewayDep, client: ClientDep
) -> Response:
    """Turn TOTP off with a current code (the NPC office can reset it for a lost phone)."""
    account = await _official(session, principal)
    now = gateway.clock.now()
    if not account.totp_enabled or account.totp_secret is None:
        raise Unprocessable("TOTP is not on.")
    if totp.matching_step(gateway.sealer.open(account.totp_secret), body.code, now, account.totp_last_step) is None:
        raise Unprocessable("The code does not match.")
    account.totp_enabled, account.totp_secret, account.totp_last_step, account.updated_at = False, None, None, now
    accounts.audit(
        session, principal, "totp.disabled", target_type="account", target_id=account.id, client=client, now=now
    )
    await session.commit()
    return Response(status_code=204)


dev_router = APIRouter(prefix="/api/auth/dev", tags=["development"])
"""Development only (app.py leaves it out when ENVIRONMENT=production)."""


@dev_router.get("/otp", operation_id="auth-dev-otp", response_model=DevCode, responses=responses(404, 422))
async def last_code(gateway: GatewayDep, phone: Annotated[Phone, Query()]) -> DevCode:
    # the last code the development sender sent to the number (its outbox, SMS_DEV_FILE)
    sent = gateway.sender.last_code(phone)
    if sent is None:
        raise NotFound("No code was sent to this number by the development sender.")
    return DevCode(phone=phone, code=sent[0], sent_at=sent[1])
