"""A push service on 127.0.0.1 for tests (RFC 8030's side of Web Push), and browsers' subscriptions made with
keys the test generates, so that what arrives can be decrypted (RFC 8291) as a browser would."""

import asyncio
import base64
import json
import os
import time
from dataclasses import dataclass, field

import http_ece
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from devstack.supervisor import free_port


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Browser:
    """A browser's push subscription: its own P-256 key and auth secret, and the endpoint it was given."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


@dataclass
class Received:
    device: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)  # when the request arrived (before any `delay`)


class PushReceiver:
    """Answers 201 to every POST on /push/<device>; `status` overrides the answer for a device (404, 410, 500);
    `delay` holds each answer (to catch a sender mid-send)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.status: dict[str, int] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.delay = 0.0
        self.arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def endpoint(self, device: str) -> str:
        return f"http://127.0.0.1:{self.port}/push/{device}"

    async def _push(self, request: web.Request) -> web.Response:
        device = request.match_info["device"]
        body = await request.read()
        arrived = time.time()
        if self.delay:
            await asyncio.sleep(self.delay)
        self.received.append(Received(device, dict(request.headers), body, arrived))
        self.arrived.set()
        return web.Response(status=self.status.get(device, 201), headers=self.headers.get(device, {}))

    async def __aenter__(self) -> "PushReceiver":
        app = web.Application()
        app.router.add_post("/push/{device}", self._push)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def for_device(self, device: str) -> list[Received]:
        return [item for item in self.received if item.device == device]


def vapid_valid(authorization: str, audience: str) -> bool:
    """RFC 8292: `vapid t=<JWT signed with k>,k=<key>`, for this push service's origin."""
    if not Vapid02.verify(authorization):
        return False
    token = authorization.split("t=", 1)[1].split(",", 1)[0]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return claims["aud"] == audience and claims["sub"].startswith(("mailto:", "https:"))


class DaytimeClock:
    """Real time moved to 10:00 Beijing time today, running on: outside quiet hours whenever the test runs."""

    def __init__(self) -> None:
        from datetime import UTC, datetime

        from shared.clock import CHINA

        real = datetime.now(UTC)
        morning = real.astimezone(CHINA).replace(hour=10, minute=0, second=0, microsecond=0)
        self.offset = morning - real

    def now(self):  # type: ignore[no-untyped-def]
        from datetime import UTC, datetime

        return datetime.now(UTC) + self.offset
