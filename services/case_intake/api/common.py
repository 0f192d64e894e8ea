"""What the route modules share: the typed runtime, the path and header types, the error answers, and the case
as a signed-in caller sees it."""

from typing import Annotated

from fastapi import Depends, Header, Path
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import Who
from services.case_intake.logic.access import STAFF_ROLES, sees_internal
from services.case_intake.logic.cases import get_case_by_tracking_code
from services.case_intake.models import Case
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import CaseRead
from services.case_intake.views.cases import read_model
from shared.errors import NotFound
from shared.problems import responses
from shared.service import get_runtime
from shared.types import CivilDate

RuntimeDep = Annotated[CaseRuntime, Depends(get_runtime)]
CODE_WORDS = (
    "The case's tracking code, e.g. SS-7KQ3-M9XD-2PWA (or the older SS-2611-48213); case, spaces and O/0, I/1 "
    "do not matter. An unknown code and one that cannot be a code get the same 404."
)
TrackingCode = Annotated[str, Path(description=CODE_WORDS)]
FilerKey = Annotated[
    str,
    Header(alias="X-Filer-Key", pattern=r"^[A-Za-z0-9_-]{16,64}$", description="The key the filing answer gave"),
]
Day = Annotated[CivilDate, Path()]
ReferenceCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
ACTION_ERRORS = responses(401, 403, 404, 409, 422)
STAFF = STAFF_ROLES


async def shaped(session: AsyncSession, case: Case, standing: Who) -> CaseRead:
    """The case as this signed-in caller sees it: the contact for those who call back, internal notes for the
    deputies it is routed to and the office."""
    return await read_model(session, case, contact_visible=standing.sees_contact, internal=sees_internal(standing))


async def by_code(
    session: AsyncSession, runtime: CaseRuntime, code: str, *, for_update: bool = False, kind: str = "track"
) -> Case:
    """The case of a tracking code; a failed look-up is counted (runtime.failed_lookups) and answered 404."""
    try:
        return await get_case_by_tracking_code(session, code, for_update=for_update)
    except NotFound:
        runtime.failed_lookups.failed(kind)
        raise
