"""What the route modules share: the typed runtime, the path and header types, the error answers, and the case
as a signed-in caller sees it."""

from typing import Annotated

from fastapi import Depends, Header, Path
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import Who
from services.case_intake.logic.access import STAFF_ROLES, sees_internal
from services.case_intake.models import Case
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import CaseRead
from services.case_intake.views.cases import read_model
from shared.auth import Principal
from shared.problems import responses
from shared.service import get_runtime
from shared.types import TRACKING_CODE_PATTERN, CivilDate

RuntimeDep = Annotated[CaseRuntime, Depends(get_runtime)]
TrackingCode = Annotated[str, Path(pattern=TRACKING_CODE_PATTERN)]
FilerKey = Annotated[
    str,
    Header(alias="X-Filer-Key", pattern=r"^[A-Za-z0-9_-]{16,64}$", description="The key the filing answer gave"),
]
Day = Annotated[CivilDate, Path()]
ReferenceCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
ACTION_ERRORS = responses(401, 403, 404, 409, 422)
STAFF = STAFF_ROLES


async def shaped(session: AsyncSession, case: Case, principal: Principal, standing: Who) -> CaseRead:
    """The case as this signed-in caller sees it: the contact for those who call back, notes for officials."""
    internal = sees_internal(principal)
    return await read_model(session, case, contact_visible=standing.sees_contact, internal=internal)
