"""The notification service's settings, read from the environment (names as written, upper-case)."""

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notification.domain.endpoints import PUBLIC_PUSH_SERVICES, parse_hosts
from shared.config import VAR_DIR
from shared.sms.settings import SmsSettings


class NotificationPolicy(BaseSettings, SmsSettings):
    """The SMS settings (SMS_SIGNATURE, SMS_DEV_FILE, ALIYUN_*) are shared.sms's, the same as the gateway's."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    environment: str = "development"

    # Web Push (RFC 8030 / 8291 / 8292)
    webpush_allowed_hosts: str = Field(
        ",".join(PUBLIC_PUSH_SERVICES),
        description="Comma-separated hosts a subscription's endpoint may name (`*.example.com` for any below it)",
    )
    vapid_private_key: str = Field("", description="The VAPID key (PEM, EC P-256); production sets it from a secret")
    vapid_private_key_file: Path = Field(VAR_DIR / "keys" / "vapid.pem", description="Used when the above is empty")
    vapid_subject: str = Field("mailto:npc-office@example.invalid", description="The contact in VAPID claims")
    webpush_ttl_seconds: int = Field(2 * 24 * 3600, ge=0, le=28 * 24 * 3600)

    # SMS (the rest of its settings: shared.sms.settings.SmsSettings)
    sms_provider: str = Field("dev", description="dev (writes SMS_DEV_FILE, var/sms-outbox.jsonl) | aliyun")
    sms_reply_token: str = Field(
        "",
        description="The secret in the URL the provider pushes villagers' replies to (POST /sms/replies?token=…); "
        "empty: the route answers 404",
    )

    # Sending
    notify_poll_seconds: float = Field(1.0, gt=0, le=60, description="How often the sender looks for due messages")
    notify_batch: int = Field(100, ge=1, le=1000, description="Messages claimed at once")
    notify_concurrency: int = Field(20, ge=1, le=200, description="Sends in flight at once")
    notify_send_timeout_seconds: float = Field(10.0, gt=0, le=60)
    notify_claim_seconds: float = Field(60.0, gt=0, le=3600, description="A send not finished by then is in doubt")
    notify_max_attempts: int = Field(6, ge=1, le=20)
    notify_hourly_cap: int = Field(
        6,
        ge=1,
        le=10_000,
        description="Messages a person gets in a clock hour on a channel (push, SMS); the rest wait for the next "
        "hour folded into one summary. Urgent cases are never held back",
    )

    # Personal data (the retention itself is PERSONAL_DATA_RETENTION_DAYS, shared by every service)
    retention_sweep_seconds: float = Field(
        3600.0, gt=0, le=24 * 3600, description="How often old messages' numbers are removed (logic/erasure.py)"
    )

    @model_validator(mode="after")
    def _production(self) -> "NotificationPolicy":
        if self.sms_provider not in ("dev", "aliyun"):
            raise ValueError("SMS_PROVIDER is dev or aliyun")
        if self.notify_send_timeout_seconds >= self.notify_claim_seconds:
            raise ValueError("NOTIFY_SEND_TIMEOUT_SECONDS must be shorter than NOTIFY_CLAIM_SECONDS")
        if self.environment == "production":
            if not self.vapid_private_key and self.vapid_private_key_file.is_relative_to(VAR_DIR):
                raise ValueError("production needs VAPID_PRIVATE_KEY (or a VAPID_PRIVATE_KEY_FILE outside var/)")
            if self.vapid_subject.endswith(".invalid"):
                raise ValueError("production needs VAPID_SUBJECT: a mailto: or https: contact of the operator")
            if self.sms_provider == "dev":
                raise ValueError("production needs SMS_PROVIDER=aliyun: messages must not go to a file")
            if problem := self.aliyun_problem(production=True):
                raise ValueError(f"SMS_PROVIDER=aliyun: {problem}")
        return self

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        return parse_hosts(self.webpush_allowed_hosts)

    @property
    def dev_endpoints(self) -> bool:
        return self.environment != "production"
