"""The ways a message leaves the system, each behind one small interface: Web Push (webpush.py) and SMS
(sms.py, the provider adapters and the development sender). Each send answers an `Outcome`."""

from dataclasses import dataclass
from typing import Literal

OutcomeStatus = Literal["sent", "gone", "retry", "failed"]


@dataclass(frozen=True)
class Outcome:
    """What became of one send: sent; gone (the device or number is no more: stop sending to it); retry (a
    temporary failure: try again after `retry_after` seconds, or the backoff); failed (the provider refused it
    for good), with the provider's reason."""

    status: OutcomeStatus
    reason: str | None = None
    retry_after: float | None = None
