"""Request and response models of the notification service: the OpenAPI contract."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StringConstraints

from shared.types import ContactPhone, TrackingCodeText, distinct, text

Language = Literal["zh-CN", "en"]
Channel = Literal["push", "sms"]
KindName = Literal[
    "case_routed",
    "case_reminder",
    "case_chased",
    "case_escalated",
    "referral_answered",
    "case_accepted",
    "case_referred",
    "case_resolved",
    "case_rejected",
    "case_reopened",
    "case_unaccepted",
    "session_tomorrow",
    "referral_arrived",
    "referral_due",
    "office_escalated",
    "booking_confirmed",
    "booking_promoted",
    "booking_cancelled",
    "project_approved",
    "project_completed",
    "objection_raised",
    "suggestion_assigned",
    "suggestion_due",
    "suggestion_answered",
]


def _not_a_boolean(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be a number or null, not true or false")
    return value


Milliseconds = Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False), BeforeValidator(_not_a_boolean)]
Base64Url = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+={0,2}$", max_length=100)]


class SubscriptionKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")
    p256dh: Base64Url = Field(description="The browser's P-256 public key, base64url (65 bytes, uncompressed)")
    auth: Base64Url = Field(description="The browser's 16-byte authentication secret, base64url")


class PushSubscriptionJson(BaseModel):
    """What the browser's `PushSubscription.toJSON()` gives."""

    model_config = ConfigDict(extra="ignore")
    endpoint: text(1000, 1)  # type: ignore[valid-type]
    expirationTime: Milliseconds | None = None  # noqa: N815 - the browser's name
    keys: SubscriptionKeys


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subscription: PushSubscriptionJson
    language: Language | None = None
    follow: distinct(TrackingCodeText, 20) = Field(  # type: ignore[valid-type]
        default_factory=list, description="Tracking codes this device (or the signed-in account) follows"
    )


class SubscriptionRead(BaseModel):
    id: str
    signed_in: bool
    language: str
    follows: list[str]
    created_at: datetime


class ServerKey(BaseModel):
    application_server_key: str = Field(description="VAPID public key for PushManager.subscribe")


class PreferenceItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: KindName
    channel: Channel
    enabled: StrictBool


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: Language | None = None
    phone: ContactPhone | None = Field(None, description="Officials only: your own number for SMS")
    remove_phone: StrictBool = False
    items: distinct(PreferenceItem, 40) = Field(default_factory=list)  # type: ignore[valid-type]


class PreferencesRead(BaseModel):
    language: str
    phone: str | None = Field(None, description="Masked")
    devices: int
    items: list[PreferenceItem]


class NotificationRead(BaseModel):
    id: str
    kind: str
    tracking_code: str
    title: str
    body: str
    url: str
    created_at: datetime


class DeliveryRead(BaseModel):
    id: str
    kind: str
    channel: str
    recipient: str
    status: str
    attempts: int
    tracking_code: str
    created_at: datetime
    finished_at: datetime | None
    reason: str | None


class FigureRow(BaseModel):
    day: str
    channel: str
    sent: int
    failed: int
    pending: int
    other: int


class Figures(BaseModel):
    days: list[FigureRow]


def _number_as_text(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class SmsUplink(BaseModel):
    """One uplink message in the provider's push (Aliyun SmsUp); fields it adds later are ignored."""

    model_config = ConfigDict(extra="ignore")
    phone_number: text(20, 1)  # type: ignore[valid-type]
    content: text(1000)  # type: ignore[valid-type]
    sequence_id: Annotated[text(64, 1), BeforeValidator(_number_as_text)] = Field(  # type: ignore[valid-type]
        description="The provider's id of the message (a number): a message pushed again counts once"
    )
    send_time: text(40) | None = None  # type: ignore[valid-type]
    sign_name: text(40) | None = None  # type: ignore[valid-type]
    dest_code: text(40) | None = None  # type: ignore[valid-type]


class SmsReplyAnswer(BaseModel):
    code: int = Field(description="0: taken (what Aliyun's push expects)")
    msg: str


class DevSms(BaseModel):
    id: str
    phone: str
    kind: str
    text: str
    at: str


class MySettings(BaseModel):
    language: str
    phone: str | None = Field(None, description="Your own number for SMS (officials), unmasked: it is yours")


class MyDevice(BaseModel):
    push_service: str = Field(description="The host of the device's push endpoint (its keys are not shown)")
    language: str
    created_at: datetime
    expires_at: datetime | None
    last_sent_at: datetime | None


class MyFollow(BaseModel):
    tracking_code: str
    created_at: datetime


class MyPreference(BaseModel):
    kind: str
    channel: str
    enabled: bool
    updated_at: datetime


class MyMessage(BaseModel):
    kind: str
    channel: str
    to: str | None = Field(description="The number an SMS went to, or the push service of the device")
    tracking_code: str
    title: str
    body: str
    status: str
    created_at: datetime
    finished_at: datetime | None


class MyData(BaseModel):
    """Everything this service keeps under the caller's account (PIPL's right of access): one whole file, not a
    page, as the gateway's download puts it together."""

    settings: MySettings | None = Field(description="None when this service has never heard from the account")
    devices: list[MyDevice]
    follows: list[MyFollow]
    preferences: list[MyPreference]
    messages: list[MyMessage]
