"""Development only: what the development SMS sender "sent" (absent in production, and with a real provider)."""

from fastapi import APIRouter

from services.notification.schemas import DevSms
from shared.errors import NotFound
from shared.problems import responses
from shared.service import RuntimeDep
from shared.sms.dev import DevSmsSender

router = APIRouter(tags=["development"])


@router.get("/dev/sms", operation_id="notification-dev-sms", response_model=list[DevSms], responses=responses(404))
async def dev_sms(runtime: RuntimeDep) -> list[DevSms]:
    """The last 200 messages the development sender wrote to var/sms-outbox.jsonl, newest first (the
    gateway's sign-in codes too, where both write to the same file, as `make run` has it)."""
    if not runtime.policy.dev_endpoints or not isinstance(runtime.sms, DevSmsSender):
        raise NotFound("There is no development SMS outbox here.")
    return [DevSms(**entry) for entry in reversed(runtime.sms.sent()[-200:])]
