"""Webhooks for integrators: the gateway posts each event an API key's scope takes to the key's webhooks, signed
the Standard Webhooks way (the `standardwebhooks` package: `webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the webhook's `whsec_` secret).

- `webhook-id` is the delivery's id: the same at every attempt, so a receiver drops repeats by it (delivery is
  at least once). The body is the event as the feed has it, byte for byte the same at every attempt.
- A 2xx answer delivers; anything else (or no answer within WEBHOOK_TIMEOUT_SECONDS) is tried again after
  WEBHOOK_RETRY_SECONDS, then 3 times longer each time (at most 12 hours), WEBHOOK_MAX_ATTEMPTS in all; then the
  delivery is `failed`. Every attempt is in the delivery log (`/api/admin/webhook-deliveries`).
- Deliveries wait in the gateway's database (staged with the event: gateway.integrations.events), so a restart
  loses none; a replica claims a due delivery before posting it, so two replicas do not post it at once.
- Never an open fetcher of internal addresses: targets are https (http only to 127.0.0.1 with
  WEBHOOK_ALLOW_LOOPBACK, development and tests), the host must be a public address — checked when the webhook
  is made and again on every connection (the resolver refuses private, loopback, link-local and reserved
  addresses, so a name cannot be pointed inside later) — and redirects are not followed.
"""

import asyncio
import base64
import contextlib
import logging
import secrets
import socket
from datetime import datetime, timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook as Signer
from yarl import URL

from gateway.deps import Gateway
from gateway.models import IntegrationEvent, Webhook, WebhookDelivery, inbox
from gateway.settings import GatewaySettings
from shared.errors import Unprocessable

log = logging.getLogger(__name__)

BATCH = 20
MAX_WAIT = timedelta(hours=12)
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: datetime, body: str) -> str:
    return Signer(secret).sign(message_id, timestamp, body)


def _address_allowed(address: IPv4Address | IPv6Address, allow_loopback: bool) -> bool:
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


def check_target(url: str, *, allow_loopback: bool) -> str:
    """The webhook URL, or 422 for one the gateway must not post to."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as error:
        raise Unprocessable("The webhook URL is not a URL.") from error
    host = (parsed.host or "").lower()
    if not parsed.is_absolute() or not host or parsed.user or parsed.password or parsed.fragment:
        raise Unprocessable("The webhook URL must be absolute, without user name, password or fragment.")
    try:
        literal: IPv4Address | IPv6Address | None = ip_address(host)
    except ValueError:
        literal = None
    loopback = host in LOOPBACK_NAMES or (literal is not None and literal.is_loopback)
    if loopback and not allow_loopback:
        raise Unprocessable("The webhook URL must not name this machine.")
    if literal is not None and not _address_allowed(literal, allow_loopback):
        raise Unprocessable("The webhook URL must name a public address.")
    if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback and allow_loopback):
        raise Unprocessable("The webhook URL must be https.")
    return str(parsed)


class PublicResolver(AbstractResolver):
    """Resolves names as usual and keeps only the addresses a webhook may reach (none left: no connection)."""

    def __init__(self, allow_loopback: bool) -> None:
        self.allow_loopback = allow_loopback
        self.inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        allowed = [result for result in results if _address_allowed(ip_address(result["host"]), self.allow_loopback)]
        if not allowed:
            raise OSError(f"{host} resolves to no address a webhook may reach")
        return allowed

    async def close(self) -> None:
        await self.inner.close()


def next_wait(settings: GatewaySettings, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: WEBHOOK_RETRY_SECONDS × 3^(attempts − 1), at most 12 h."""
    return min(MAX_WAIT, timedelta(seconds=settings.webhook_retry_seconds * 3 ** min(attempts - 1, 20)))


class Deliverer:
    """Posts due deliveries, records each attempt, and schedules the next one."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.settings = gateway.settings
        self.maker = gateway.maker
        self.http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(resolver=PublicResolver(self.settings.webhook_allow_loopback), limit=20)
        timeout = aiohttp.ClientTimeout(total=self.settings.webhook_timeout_seconds)
        self.http = aiohttp.ClientSession(connector=connector, timeout=timeout)
        self._task = asyncio.create_task(self._run(), name="webhook-deliveries")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.http is not None:
            await self.http.close()

    async def _run(self) -> None:
        pruned_at: datetime | None = None
        while True:
            try:
                sent = await self.deliver_due()
                if pruned_at is None or self.gateway.clock.now() - pruned_at > timedelta(hours=1):
                    await self.prune()
                    pruned_at = self.gateway.clock.now()
            except Exception as error:  # the database is away: try again shortly
                log.warning("webhooks: deliveries paused: %r", error)
                sent = 0
            if sent < BATCH:
                await asyncio.sleep(self.settings.webhook_poll_seconds)

    async def prune(self) -> None:
        """Forget events, finished deliveries and inbox rows older than INTEGRATION_EVENTS_DAYS (an event a
        delivery still waits for stays)."""
        cutoff = self.gateway.clock.now() - timedelta(days=self.settings.integration_events_days)
        waiting = select(WebhookDelivery.event_seq).where(WebhookDelivery.status == "pending")
        async with self.maker() as session:
            await session.execute(
                delete(WebhookDelivery).where(WebhookDelivery.created_at < cutoff, WebhookDelivery.status != "pending")
            )
            await session.execute(
                delete(IntegrationEvent).where(IntegrationEvent.at < cutoff, IntegrationEvent.seq.not_in(waiting))
            )
            await session.execute(delete(inbox).where(inbox.c.consumer == "gateway", inbox.c.received_at < cutoff))
            await session.commit()

    async def deliver_due(self) -> int:
        """Claim and post the deliveries that are due now; returns how many were attempted."""
        claimed = await self._claim()
        await asyncio.gather(*(self._attempt(*item) for item in claimed))
        return len(claimed)

    async def _claim(self) -> list[tuple[str, int, str, str, str]]:
        """Due deliveries, each claimed by moving its next attempt past this one's timeout (a replica that sees
        the old time loses the race; a process that dies while posting leaves it due again soon)."""
        now = self.gateway.clock.now()
        lease = now + timedelta(seconds=self.settings.webhook_timeout_seconds + 30)
        async with self.maker() as session:
            rows = (
                await session.execute(
                    select(
                        WebhookDelivery.id,
                        WebhookDelivery.next_attempt_at,
                        WebhookDelivery.attempts,
                        Webhook,
                        IntegrationEvent.body,
                    )
                    .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                    .join(IntegrationEvent, IntegrationEvent.seq == WebhookDelivery.event_seq)
                    .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                    .order_by(WebhookDelivery.next_attempt_at)
                    .limit(BATCH)
                )
            ).all()
            claimed = []
            for delivery_id, due, attempts, hook, body in rows:
                if hook.disabled_at is not None:
                    await self._finish(session, delivery_id, status="cancelled", attempts=attempts, error="disabled")
                    continue
                won = await session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id == delivery_id, WebhookDelivery.next_attempt_at == due)
                    .values(next_attempt_at=lease)
                )
                if won.rowcount == 1:
                    claimed.append((delivery_id, attempts, hook.url, hook.secret, body))
            await session.commit()
        return claimed

    async def _attempt(self, delivery_id: str, attempts: int, url: str, sealed: str, body: str) -> None:
        assert self.http is not None
        status: int | None = None
        error: str | None = None
        now = self.gateway.clock.now()
        try:
            check_target(url, allow_loopback=self.settings.webhook_allow_loopback)
            headers = {
                "content-type": "application/json",
                "webhook-id": delivery_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": sign(self.gateway.sealer.open(sealed), delivery_id, now, body),
                "user-agent": "deputies-in-the-grid-webhooks/1",
            }
            async with self.http.post(url, data=body.encode(), headers=headers, allow_redirects=False) as answer:
                status = answer.status
                if not 200 <= status < 300:
                    error = f"answered {status}"
        except Exception as failure:  # the receiver is down, slow, or names an address it may not
            error = f"{type(failure).__name__}: {failure}"[:300]
        async with self.maker() as session:
            if error is None:
                await self._finish(session, delivery_id, status="delivered", attempts=attempts + 1, answer=status)
            elif attempts + 1 >= self.settings.webhook_max_attempts:
                await self._finish(
                    session, delivery_id, status="failed", attempts=attempts + 1, answer=status, error=error
                )
            else:
                await session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id == delivery_id)
                    .values(
                        attempts=attempts + 1,
                        last_attempt_at=now,
                        last_status=status,
                        last_error=error,
                        next_attempt_at=now + next_wait(self.settings, attempts + 1),
                    )
                )
            await session.commit()
        if error:
            log.info("webhook delivery %s, attempt %s: %s", delivery_id, attempts + 1, error)

    async def _finish(
        self,
        session: AsyncSession,
        delivery_id: str,
        *,
        status: str,
        attempts: int,
        answer: int | None = None,
        error: str | None = None,
    ) -> None:
        now = self.gateway.clock.now()
        values: dict[str, Any] = {"status": status, "attempts": attempts, "next_attempt_at": None, "last_error": error}
        if answer is not None or status != "cancelled":
            values |= {"last_attempt_at": now, "last_status": answer}
        if status == "delivered":
            values["delivered_at"] = now
        await session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values))
