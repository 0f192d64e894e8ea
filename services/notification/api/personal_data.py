"""A person's own data (PIPL's right of access): `GET /me/data`, which the gateway's download (`GET
/api/me/data`) puts in one file with every other service's answer."""

from fastapi import APIRouter

from services.notification import views
from services.notification.schemas import MyData
from shared.auth import CurrentPrincipal
from shared.problems import responses
from shared.service import SessionDep

router = APIRouter(tags=["notification"])


@router.get("/me/data", operation_id="notification-my-data", response_model=MyData, responses=responses(401))
async def my_data(db: SessionDep, principal: CurrentPrincipal) -> MyData:
    """Everything kept here under my account: language and number, devices, follows, choices and the messages
    sent to me. Any signed-in account; only its own."""
    return await views.my_data(db, principal.subject)
