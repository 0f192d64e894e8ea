"""SMS: one provider interface, a real adapter for Aliyun's Short Message Service (dysmsapi `SendSms`, RPC
signature version 1.0, HMAC-SHA1, as its documentation's 签名机制 describes) and a development sender writing
to var/sms-outbox.jsonl. Every message carries our delivery id (Aliyun's `OutId`), so a send that may have
happened is checked with the provider (`QuerySendDetails`) instead of being repeated blindly."""

import base64
import hashlib
import hmac
import json
import logging
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import quote

import aiohttp

from services.notification.channels import Outcome
from services.notification.policy import NotificationPolicy
from shared.clock import CHINA
from shared.privacy import normalise_phone

log = logging.getLogger(__name__)

Known = Literal["sent", "not_sent", "unknown"]


@dataclass(frozen=True)
class SmsMessage:
    id: str  # the delivery id: the provider's OutId
    phone: str
    kind: str
    text: str  # the whole text, signature included, within one segment
    params: dict[str, str]  # the template's variables (providers send approved templates, not free text)
    at: datetime


class SmsProvider(Protocol):
    async def send(self, message: SmsMessage) -> Outcome: ...

    async def status(self, message: SmsMessage) -> Known:
        """Did the provider take a message with this id? Asked before resending one that was in doubt."""
        ...

    async def close(self) -> None: ...


class DevSmsSender:
    """Development: each message is a JSON line in a file under var/ (listed by GET /dev/sms)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, message: SmsMessage) -> Outcome:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {"id": message.id, "phone": message.phone, "kind": message.kind, "text": message.text}
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps({**line, "at": message.at.isoformat()}, ensure_ascii=False) + "\n")
        return Outcome("sent")

    async def status(self, message: SmsMessage) -> Known:
        return "sent" if any(entry["id"] == message.id for entry in self.sent()) else "not_sent"

    def sent(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as file:
            return [json.loads(line) for line in file if line.strip()]

    def forget(self, phones: Iterable[str]) -> int:
        """Remove every message to these numbers (in any form) from the file, and say how many went: an erased
        person's number must not stay in the development outbox either. The file is rewritten in one step (a
        new file replacing the old) with no await in between, so a send of this process cannot fall between."""
        wanted = {normalise_phone(phone) for phone in phones}
        if not wanted or not self.path.exists():
            return 0
        with self.path.open(encoding="utf-8") as file:
            lines = [line for line in file if line.strip()]
        kept = [line for line in lines if normalise_phone(json.loads(line)["phone"]) not in wanted]
        if len(kept) < len(lines):
            fresh = self.path.with_name(self.path.name + ".tmp")
            fresh.write_text("".join(kept), encoding="utf-8")
            os.replace(fresh, self.path)
        return len(lines) - len(kept)

    async def close(self) -> None:
        return None


# --- Aliyun (阿里云短信服务) ------------------------------------------------------------------------------------


def percent_encode(value: str) -> str:
    """The POP encoding: RFC 3986 unreserved characters kept, everything else %XY of its UTF-8 bytes."""
    return quote(value, safe="-_.~")


def aliyun_signature(parameters: dict[str, str], secret: str, method: str = "GET") -> str:
    """Signature version 1.0: HMAC-SHA1 with `secret&` over `METHOD&%2F&<encoded canonical query>`, base64."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(parameters.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def aliyun_signed_query(parameters: dict[str, str], secret: str) -> str:
    """The request's query string: `Signature=…` first, then the parameters in their canonical order."""
    signature = aliyun_signature(parameters, secret)
    rest = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(parameters.items()))
    return f"Signature={percent_encode(signature)}&{rest}"


def aliyun_common(access_key_id: str, action: str, at: datetime, nonce: str) -> dict[str, str]:
    return {
        "AccessKeyId": access_key_id,
        "Action": action,
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "Timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
    }


RETRY_CODES = frozenset(
    {"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "isp.SYSTEM_ERROR", "isp.RAM_PERMISSION_DENY"}
)
GONE_CODES = frozenset({"isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT", "isv.BLACK_KEY_CONTROL_LIMIT"})


class AliyunSms:
    """SendSms with the kind's approved template (ALIYUN_SMS_TEMPLATES) and its variables code and grid."""

    def __init__(self, policy: NotificationPolicy) -> None:
        self.policy = policy
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self.policy.notify_send_timeout_seconds)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    def send_parameters(self, message: SmsMessage, nonce: str | None = None) -> dict[str, str]:
        template = self.policy.aliyun_sms_templates.get(message.kind)
        if not template:
            raise LookupError(f"ALIYUN_SMS_TEMPLATES has no template for {message.kind}")
        return {
            **aliyun_common(self.policy.aliyun_access_key_id, "SendSms", message.at, nonce or str(uuid.uuid4())),
            "PhoneNumbers": message.phone,
            "SignName": self.policy.sms_signature,
            "TemplateCode": template,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False, separators=(",", ":")),
            "OutId": message.id,
        }

    async def _call(self, parameters: dict[str, str]) -> dict:
        url = (
            f"{self.policy.aliyun_sms_endpoint}?{aliyun_signed_query(parameters, self.policy.aliyun_access_key_secret)}"
        )
        async with self.session().get(url, allow_redirects=False) as answer:
            return await answer.json(content_type=None)

    async def send(self, message: SmsMessage) -> Outcome:
        try:
            parameters = self.send_parameters(message)
        except LookupError as error:
            return Outcome("failed", str(error))
        try:
            answer = await self._call(parameters)
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            return Outcome("retry", f"the SMS provider could not be reached: {type(error).__name__}")
        code = str(answer.get("Code", ""))
        reason = f"{code} {answer.get('Message', '')}".strip()[:300]
        if code == "OK":
            return Outcome("sent")
        if code in GONE_CODES:
            return Outcome("gone", reason)
        if code in RETRY_CODES:
            return Outcome("retry", reason)
        return Outcome("failed", reason)

    async def status(self, message: SmsMessage) -> Known:
        parameters = {
            **aliyun_common(self.policy.aliyun_access_key_id, "QuerySendDetails", datetime.now(UTC), str(uuid.uuid4())),
            "PhoneNumber": message.phone,
            "SendDate": message.at.astimezone(CHINA).strftime("%Y%m%d"),
            "PageSize": "50",
            "CurrentPage": "1",
        }
        try:
            answer = await self._call(parameters)
        except (TimeoutError, aiohttp.ClientError, ValueError):
            return "unknown"
        if answer.get("Code") != "OK":
            return "unknown"
        details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        return "sent" if any(item.get("OutId") == message.id for item in details) else "not_sent"

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def provider_for(policy: NotificationPolicy) -> SmsProvider:
    if policy.sms_provider == "aliyun":
        return AliyunSms(policy)
    return DevSmsSender(policy.sms_dev_file)
