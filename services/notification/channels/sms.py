"""SMS through the one SMS library (shared.sms): the provider SMS_PROVIDER names, Aliyun's adapter or the
development sender writing to SMS_DEV_FILE (var/sms-outbox.jsonl). Every message carries our delivery id
(Aliyun's `OutId`), so a send that may have happened is checked with the provider (`QuerySendDetails`)
instead of being repeated blindly (logic/sending.py)."""

from services.notification.policy import NotificationPolicy
from shared.sms import SmsProvider
from shared.sms.settings import provider_for as build


def provider_for(policy: NotificationPolicy) -> SmsProvider:
    kind = "aliyun" if policy.sms_provider == "aliyun" else "dev"
    return build(kind, policy, timeout_seconds=policy.notify_send_timeout_seconds)
