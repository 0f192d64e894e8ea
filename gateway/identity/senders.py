"""Where one-time sign-in codes go: a text message through the one SMS library (shared.sms), the same
providers as the notification service's.

`OTP_SENDER` picks the provider: `log` (development: shared.sms.dev writes the message to SMS_DEV_FILE and
the log, and `GET /api/auth/dev/otp` reads the last code from there), `aliyun` (Aliyun's SendSms with the
approved template ALIYUN_SMS_TEMPLATES["signin_code"], whose variables are `${code}` and `${minutes}`) or
`webhook` (a JSON `{phone, message}` POST to OTP_WEBHOOK_URL). The text fits one SMS segment, signature
included (checked when the settings are read).
"""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from shared.sms import SmsMessage, SmsProvider, one_segment, signed
from shared.sms.dev import DevSmsSender
from shared.sms.settings import SmsSettings, provider_for

SIGNIN_KIND = "signin_code"
"""The message's kind: its Aliyun template is ALIYUN_SMS_TEMPLATES["signin_code"]."""
BODY = "您的登录验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。"
LONGEST_MINUTES = 60


def code_text(signature: str, code: str, minutes: int) -> str:
    """The whole text as the phone shows it, 【signature】 first."""
    return signed(signature, BODY.format(code=code, minutes=minutes))


def code_text_problem(signature: str) -> str | None:
    """Why codes signed with this signature would not fit one segment (None when they do)."""
    longest = code_text(signature, "0" * 6, LONGEST_MINUTES)
    if one_segment(longest):
        return None
    return f"SMS_SIGNATURE is too long: a sign-in code's text would take more than one SMS ({len(longest)} characters)"


class SmsCodeSender:
    """A sign-in code as a text message; a provider that does not take it raises (the code is then withdrawn
    and the villager told to try again)."""

    def __init__(self, provider: SmsProvider, signature: str) -> None:
        self.provider = provider
        self.signature = signature

    async def send(self, phone: str, code: str, valid_minutes: int) -> None:
        message = SmsMessage(
            id=str(uuid.uuid4()),
            phone=phone,
            kind=SIGNIN_KIND,
            text=code_text(self.signature, code, valid_minutes),
            params={"code": code, "minutes": str(valid_minutes)},
            at=datetime.now(UTC),  # the provider checks its signed requests against the real time
        )
        outcome = await self.provider.send(message)
        if outcome.status != "sent":
            raise ConnectionError(f"the SMS provider did not take the code: {outcome.status} {outcome.reason or ''}")

    @property
    def development(self) -> DevSmsSender | None:
        """The development sender, when this is it (its outbox backs the dev-only last-code route)."""
        return self.provider if isinstance(self.provider, DevSmsSender) else None

    def last_code(self, phone: str) -> tuple[str, datetime] | None:
        """The last code the development sender sent to the number (None with a real provider)."""
        entry = self.development.last(phone, SIGNIN_KIND) if self.development else None
        if entry is None:
            return None
        return entry["params"]["code"], datetime.fromisoformat(entry["at"])

    def forget(self, phones: Iterable[str]) -> int:
        """An erased person's codes out of the development outbox (a real provider keeps its own records)."""
        return self.development.forget(phones) if self.development else 0

    async def close(self) -> None:
        await self.provider.close()


OtpSender = Literal["log", "aliyun", "webhook"]


def sender_for(
    kind: OtpSender, settings: SmsSettings, webhook_url: str = "", timeout_seconds: float = 5.0
) -> SmsCodeSender:
    provider = provider_for(
        "dev" if kind == "log" else kind, settings, timeout_seconds=timeout_seconds, webhook_url=webhook_url
    )
    return SmsCodeSender(provider, settings.sms_signature)
