"""The SMS settings of every process that texts, read from its environment (the notification service's
policy and the gateway's settings mix `SmsSettings` in, so the names are the same everywhere), and
`provider_for`, which builds the provider one of them chose (`SMS_PROVIDER` there, `OTP_SENDER` here)."""

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from shared.config import VAR_DIR
from shared.sms import SmsProvider
from shared.sms.aliyun import AliyunSms
from shared.sms.dev import DevSmsSender
from shared.sms.webhook import WebhookSms

ProviderKind = Literal["dev", "aliyun", "webhook"]


class SmsSettings(BaseModel):
    sms_signature: str = Field("人大代表进网格", description="The approved signature (签名) shown as 【…】")
    sms_dev_file: Path = Field(
        VAR_DIR / "sms-outbox.jsonl", description="Development: the file the development sender writes"
    )
    aliyun_access_key_id: str = ""
    aliyun_access_key_secret: str = ""
    aliyun_sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    aliyun_sms_templates: dict[str, str] = Field(
        default_factory=dict,
        description='Kind -> approved template code, e.g. {"case_routed": "SMS_123", "signin_code": "SMS_456"}',
    )

    def aliyun_problem(self, kinds: Iterable[str] = (), production: bool = False) -> str | None:
        """Why the Aliyun adapter could not send messages of these kinds (None when it can)."""
        if not (self.aliyun_access_key_id and self.aliyun_access_key_secret):
            return "the Aliyun adapter needs ALIYUN_ACCESS_KEY_ID and ALIYUN_ACCESS_KEY_SECRET"
        if not self.aliyun_sms_templates:
            return "the Aliyun adapter needs ALIYUN_SMS_TEMPLATES (kind -> approved template code)"
        if missing := [kind for kind in kinds if not self.aliyun_sms_templates.get(kind)]:
            return f"ALIYUN_SMS_TEMPLATES needs a template for {', '.join(missing)}"
        if production and not self.aliyun_sms_endpoint.startswith("https://"):
            return "ALIYUN_SMS_ENDPOINT must be an https:// address in production"
        return None


def provider_for(
    kind: ProviderKind, settings: SmsSettings, *, timeout_seconds: float, webhook_url: str = ""
) -> SmsProvider:
    if kind == "aliyun":
        return AliyunSms(
            access_key_id=settings.aliyun_access_key_id,
            access_key_secret=settings.aliyun_access_key_secret,
            signature=settings.sms_signature,
            templates=settings.aliyun_sms_templates,
            endpoint=settings.aliyun_sms_endpoint,
            timeout_seconds=timeout_seconds,
        )
    if kind == "webhook":
        return WebhookSms(webhook_url, timeout_seconds)
    return DevSmsSender(settings.sms_dev_file)
