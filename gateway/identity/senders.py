"""Where one-time codes go: the log and a development outbox, or an SMS provider's HTTP endpoint."""

import logging
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Protocol

import aiohttp

log = logging.getLogger(__name__)

MESSAGE = "【人大代表进网格】您的登录验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。"


class CodeSender(Protocol):
    async def send(self, phone: str, code: str, valid_minutes: int) -> None: ...

    async def close(self) -> None: ...


class LogSender:
    """Development: the code goes to the log and to an outbox the dev-only endpoint reads."""

    def __init__(self, keep: int = 1000) -> None:
        self.keep = keep
        self.outbox: OrderedDict[str, tuple[str, datetime]] = OrderedDict()

    async def send(self, phone: str, code: str, valid_minutes: int) -> None:
        log.warning("development one-time code for %s: %s (valid %s min)", phone, code, valid_minutes)
        self.outbox.pop(phone, None)
        self.outbox[phone] = (code, datetime.now(UTC))
        while len(self.outbox) > self.keep:
            self.outbox.popitem(last=False)

    def last_code(self, phone: str) -> tuple[str, datetime] | None:
        return self.outbox.get(phone)

    async def close(self) -> None:
        return None


class WebhookSender:
    """Production: POST {phone, message} as JSON to the SMS provider's endpoint; fail loudly on non-2xx."""

    def __init__(self, url: str, timeout_seconds: float = 5.0) -> None:
        self.url = url
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.session: aiohttp.ClientSession | None = None

    async def send(self, phone: str, code: str, valid_minutes: int) -> None:
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=self.timeout)
        body = {"phone": phone, "message": MESSAGE.format(code=code, minutes=valid_minutes)}
        async with self.session.post(self.url, json=body) as answer:
            if answer.status >= 300:
                raise ConnectionError(f"the SMS provider answered {answer.status}")

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


def sender_for(kind: str, webhook_url: str) -> CodeSender:
    return WebhookSender(webhook_url) if kind == "webhook" else LogSender()
