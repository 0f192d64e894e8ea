"""contact.case.*: how to reach a villager who asked for SMS about their case (published by case_intake, read by
notification only).

Case events carry no personal data; a villager who gave a phone number and asked to be told by SMS (or for whom
staff filed with `contact_preference: sms`) must still be told. This private stream is the one way the number
reaches the service that sends messages: only the notification service's NATS user may read CONTACT (its
permissions follow from `events.SUBSCRIPTIONS`), and the stream keeps a message only until that consumer
acknowledged it (`EPHEMERAL_STREAMS`). The notification service keeps the number until the case is finished,
the retention period ends, or the villager is erased.
"""

from datetime import datetime

from shared.messaging.catalogue.base import EventPayload


class CaseContactGiven(EventPayload):
    """Tell the villager of a case by SMS at `phone`: in `language` (zh-CN unless they chose English)."""

    event_type = "contact.case.given.v1"
    case_id: str
    tracking_code: str
    grid_id: str
    phone: str
    language: str = "zh-CN"
    at: datetime
