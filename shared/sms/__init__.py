"""Text messages, once for the whole code base (issue #17): the gateway's sign-in codes and the notification
service's notices go through the same providers.

- here: what a message is (`SmsMessage`: our id, the number, the kind that picks the provider's approved
  template, the whole text, the template's variables), what became of a send (`Outcome`), the provider
  interface (`SmsProvider`) and the one-segment rule;
- `shared.sms.aliyun`: Aliyun's Short Message Service (dysmsapi `SendSms`/`QuerySendDetails`, signature
  version 1.0 as its documentation's 签名机制 describes);
- `shared.sms.dev`: the development sender, writing each message to a file under var/ (and the log);
- `shared.sms.webhook`: a generic JSON webhook (`{phone, message}`), for a provider behind one;
- `shared.sms.settings`: the settings every process that texts reads (`SMS_SIGNATURE`, `SMS_DEV_FILE`,
  `ALIYUN_*`) and `provider_for`, which builds one of the above.

This module imports no network library: the notification service's domain uses the segment rule.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

OutcomeStatus = Literal["sent", "gone", "retry", "failed"]
Known = Literal["sent", "not_sent", "unknown"]

SMS_SEGMENT = 70
"""A single SMS segment in UCS-2, which any Chinese character forces: 70 characters (GSM 03.38 / 3GPP 23.040).
Every text this system sends fits one, its signature 【…】 included: one message, one charge, never split."""


@dataclass(frozen=True)
class Outcome:
    """What became of one send: sent; gone (the device or number is no more: stop sending to it); retry (a
    temporary failure: try again after `retry_after` seconds, or the backoff); failed (the provider refused it
    for good), with the provider's reason. (The notification service's Web Push answers the same.)"""

    status: OutcomeStatus
    reason: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class SmsMessage:
    id: str
    """Ours (a delivery's id, a sign-in code's): the provider's OutId, so a send in doubt can be looked up."""
    phone: str
    kind: str
    """Picks the approved template (providers in China send templates, not free text): case_routed, signin_code …"""
    text: str
    """The whole text, signature included, within one segment: what the development sender writes."""
    params: dict[str, str]
    """The template's variables."""
    at: datetime


class SmsProvider(Protocol):
    async def send(self, message: SmsMessage) -> Outcome: ...

    async def status(self, message: SmsMessage) -> Known:
        """Did the provider take a message with this id? Asked before resending one that was in doubt."""
        ...

    async def close(self) -> None: ...


def signed(signature: str, body: str) -> str:
    """The text as the phone shows it: `【signature】` first (the provider adds the approved one)."""
    return f"【{signature}】{body}" if signature else body


def one_segment(text: str) -> bool:
    return len(text) <= SMS_SEGMENT
