"""The gateway's request and response models: sign-in, tokens, accounts, the audit log and API keys."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from shared.auth import Role
from shared.privacy import normalise_phone
from shared.types import EntityId, text

PHONE_PATTERN = r"^\+?[0-9](?:[ -]?[0-9]){5,14}$"
"""6 to 15 digits, a leading + allowed, single spaces or dashes between them: what the schema tells clients."""


Phone = Annotated[str, StringConstraints(pattern=PHONE_PATTERN), AfterValidator(normalise_phone)]
SixDigits = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")]
Password = text(200, 1)
NewPassword = text(200, 10)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PasswordLogin(Strict):
    username: text(64, 1)  # type: ignore[valid-type]
    password: Password  # type: ignore[valid-type]
    totp_code: SixDigits | None = Field(default=None, description="Required when the account has TOTP on")


class CodeRequest(Strict):
    phone: Phone


class CodeSent(BaseModel):
    phone_masked: str
    expires_in: int = Field(description="Seconds the code stays valid")
    resend_after: int = Field(description="Seconds until another code may be asked for")


class CodeVerify(Strict):
    phone: Phone
    code: SixDigits


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    name: str
    roles: list[str]
    deputy_id: str | None
    organisation: str | None = None


class RefreshRequest(Strict):
    refresh_token: Annotated[str, StringConstraints(pattern=r"^rt_[A-Za-z0-9_-]{20,100}$")]


class Me(BaseModel):
    subject: str
    roles: list[str]
    name: str
    deputy_id: str | None
    organisation: str | None


class TotpSetup(BaseModel):
    secret: str
    otpauth_uri: str


class TotpCode(Strict):
    code: SixDigits


class DevCode(BaseModel):
    phone: str
    code: str
    sent_at: datetime


class Jwks(BaseModel):
    keys: list[dict[str, str]]


class AccountCreate(Strict):
    username: Username
    password: NewPassword
    name: text(120, 1)  # type: ignore[valid-type]
    roles: Annotated[list[Role], Field(min_length=1, max_length=6)]
    deputy_id: EntityId | None = None
    organisation: text(120, 1) | None = None  # type: ignore[valid-type]


class AccountUpdate(Strict):
    name: text(120, 1) | None = None  # type: ignore[valid-type]
    roles: Annotated[list[Role], Field(min_length=1, max_length=6)] | None = None
    deputy_id: EntityId | None = None
    organisation: text(120, 1) | None = None  # type: ignore[valid-type]
    active: StrictBool | None = None


class PasswordReset(Strict):
    password: NewPassword


class AccountRead(BaseModel):
    id: str
    username: str | None
    name: str
    roles: list[str]
    deputy_id: str | None
    organisation: str | None
    active: bool
    totp_enabled: bool
    phone_masked: str | None
    is_demo: bool
    created_at: datetime
    updated_at: datetime | None


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    at: datetime
    actor_id: str | None
    actor_name: str
    action: str
    target_type: str
    target_id: str | None
    detail: dict
    client: str
    request_id: str | None


EVENT_TYPES_FIELD = Field(
    default_factory=list,
    max_length=40,
    description="The event types the key may read (the feed) and its webhooks get; `*` for all; none: no events",
)
TOWNSHIPS_FIELD = Field(
    default=None, max_length=200, description="Township grid ids whose cases' events the key gets; null: every one"
)


class ApiKeyCreate(Strict):
    name: text(120, 1)  # type: ignore[valid-type]
    event_types: list[text(120, 1)] = EVENT_TYPES_FIELD  # type: ignore[valid-type]
    townships: list[EntityId] | None = TOWNSHIPS_FIELD


class ApiKeyScope(Strict):
    event_types: list[text(120, 1)] = EVENT_TYPES_FIELD  # type: ignore[valid-type]
    townships: list[EntityId] | None = TOWNSHIPS_FIELD


class ApiKeyRead(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    event_types: list[str]
    townships: list[str] | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself: shown this once, kept only as a hash")


class WebhookCreate(Strict):
    url: text(2000, 8)  # type: ignore[valid-type]


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    api_key_id: str
    url: str
    created_at: datetime
    created_by: str
    disabled_at: datetime | None


class WebhookCreated(WebhookRead):
    secret: str = Field(description="The signing secret (`whsec_…`, Standard Webhooks): shown this once, kept sealed")


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str = Field(description="The `webhook-id` of every attempt")
    webhook_id: str
    event_seq: int
    event_type: str
    status: str = Field(description="pending, delivered, failed (after the last attempt) or cancelled")
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class ErasureCreate(Strict):
    """Whom to erase: their account, or a phone number (the villager account signed in with it, and every record
    kept under that number), or both. `reason`: the request as the office received it (no personal data)."""

    account_id: EntityId | None = None
    phone: Phone | None = None
    reason: text(500, 1)  # type: ignore[valid-type]


class ErasureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    account_id: str | None
    phone_given: bool
    reason: str
    requested_by: str
    requested_at: datetime
    announced: bool = Field(description="Every service has been told (the event left the gateway)")
