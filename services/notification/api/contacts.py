"""A villager's SMS about their case: stop it (whoever holds the tracking code, as following does)."""

from fastapi import APIRouter, Response

from services.notification.logic import contacts
from shared.problems import responses
from shared.service import SessionDep
from shared.types import TrackingCodeText

router = APIRouter(tags=["notification"])


@router.delete(
    "/contacts/{tracking_code}",
    operation_id="notification-contact-stop",
    status_code=204,
    responses=responses(422),
)
async def stop_sms(tracking_code: TrackingCodeText, db: SessionDep) -> Response:
    """Stop the SMS about this case: the number given for it is forgotten here and nothing more is texted. The
    same answer whether or not a number was given (a code tells nobody whether a phone follows it)."""
    await contacts.stop(db, tracking_code)
    await db.commit()
    return Response(status_code=204)
