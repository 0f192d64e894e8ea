"""An account's choices: language, each kind on or off per channel, an official's number for SMS."""

from fastapi import APIRouter

from services.notification import views
from services.notification.logic import preferences
from services.notification.schemas import PreferencesRead, PreferencesUpdate
from shared.auth import CurrentPrincipal
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep

router = APIRouter(tags=["notification"])


@router.get(
    "/preferences", operation_id="notification-preferences", response_model=PreferencesRead, responses=responses(401)
)
async def read(db: SessionDep, principal: CurrentPrincipal) -> PreferencesRead:
    return await views.preferences(db, principal.subject)


@router.put(
    "/preferences",
    operation_id="notification-preferences-update",
    response_model=PreferencesRead,
    responses=responses(401, 403, 422),
)
async def update(
    body: PreferencesUpdate, db: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> PreferencesRead:
    """Set what is given (a PUT of the same body twice leaves the same state)."""
    await preferences.update(db, runtime, principal, body)
    answer = await views.preferences(db, principal.subject)
    await db.commit()
    return answer
