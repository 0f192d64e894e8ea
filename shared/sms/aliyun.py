"""Aliyun's Short Message Service (阿里云短信服务): `SendSms` with the kind's approved template and its
variables, and `QuerySendDetails` to ask whether a message in doubt went (by our id, Aliyun's `OutId`).
Requests are signed as the documentation's 签名机制 describes (RPC signature version 1.0, HMAC-SHA1);
tests/unit/test_notification_rules.py checks `aliyun_signature` against its worked example."""

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

import aiohttp

from shared.clock import CHINA
from shared.sms import Known, Outcome, SmsMessage


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
    """SendSms with the approved template of the message's kind (`templates`: kind -> template code) and the
    message's variables; the approved signature (签名) is `signature`."""

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        signature: str,
        templates: Mapping[str, str],
        endpoint: str = "https://dysmsapi.aliyuncs.com/",
        timeout_seconds: float = 10.0,
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.signature = signature
        self.templates = dict(templates)
        self.endpoint = endpoint
        self.timeout_seconds = timeout_seconds
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_seconds))
        return self._session

    def send_parameters(self, message: SmsMessage, nonce: str | None = None) -> dict[str, str]:
        template = self.templates.get(message.kind)
        if not template:
            raise LookupError(f"ALIYUN_SMS_TEMPLATES has no template for {message.kind}")
        return {
            **aliyun_common(self.access_key_id, "SendSms", message.at, nonce or str(uuid.uuid4())),
            "PhoneNumbers": message.phone,
            "SignName": self.signature,
            "TemplateCode": template,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False, separators=(",", ":")),
            "OutId": message.id,
        }

    async def _call(self, parameters: dict[str, str]) -> dict:
        url = f"{self.endpoint}?{aliyun_signed_query(parameters, self.access_key_secret)}"
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
            **aliyun_common(self.access_key_id, "QuerySendDetails", datetime.now(UTC), str(uuid.uuid4())),
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
