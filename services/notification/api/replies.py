"""The provider's push of villagers' SMS replies (Aliyun's SmsUp, the HTTP batch push of uplink messages):
`POST /sms/replies?token=…`, a JSON array. Not behind sign-in: the provider authenticates with the secret the
operator put in the URL it configured (SMS_REPLY_TOKEN, compared in constant time); without that setting the
route is not there (404)."""

import hmac
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query

from services.notification.logic.replies import Reply, take_replies
from services.notification.schemas import SmsReplyAnswer, SmsUplink
from shared.errors import NotFound, Unauthorized
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep

router = APIRouter(tags=["notification"])


def _check(expected: str, given: str | None) -> None:
    if not expected:
        raise NotFound("Replies are not taken here (SMS_REPLY_TOKEN is not set).")
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("The token is missing or wrong.")


@router.post(
    "/sms/replies",
    operation_id="notification-sms-replies",
    response_model=SmsReplyAnswer,
    responses=responses(401, 404, 422),
)
async def sms_replies(
    body: Annotated[list[SmsUplink], Body(max_length=1000)],
    db: SessionDep,
    runtime: RuntimeDep,
    token: Annotated[str | None, Query(max_length=200)] = None,
    x_reply_token: Annotated[str | None, Header(max_length=200)] = None,
) -> SmsReplyAnswer:
    """Villagers' replies, as the provider pushes them (at most 1000 at once). A reply of TD, T, 退订 or 停止 stops
    every SMS to its number: the numbers given for cases are forgotten, accounts with that number have SMS turned
    off, messages not yet sent are skipped. Each reply counts once (`sequence_id`); other replies are ignored.
    The answer is the one Aliyun expects (`code` 0), so the provider does not push the batch again."""
    _check(runtime.policy.sms_reply_token, token or x_reply_token)
    replies = [Reply(str(item.sequence_id), item.phone_number, item.content) for item in body]
    await take_replies(db, runtime, replies)
    await db.commit()
    return SmsReplyAnswer(code=0, msg="接收成功")
