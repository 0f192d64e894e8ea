"""The record of duty (履职档案): read it, and log a deputy's own entry."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.deputy.api.access import OFFICE_OR_STAFF, may_see_private, require_self_or
from services.deputy.logic import record
from services.deputy.logic.deputies import get_deputy
from services.deputy.schemas import DutyRecordRead, EntryCreate, FiveRole
from services.deputy.views.record import list_record, record_read
from shared.auth import CurrentPrincipal, OptionalPrincipal
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import OnceDep, RuntimeDep, SessionDep
from shared.types import CivilDate, EntityId, IdempotencyKeyHeader, text

router = APIRouter(tags=["deputy"])


@router.get(
    "/deputies/{deputy_id}/record",
    operation_id="deputy-record",
    response_model=Page[DutyRecordRead],
    responses=responses(401, 404, 422),
)
async def deputy_record(
    deputy_id: EntityId,
    session: SessionDep,
    page: PageDep,
    principal: OptionalPrincipal,
    date_from: CivilDate | None = None,
    date_to: CivilDate | None = None,
    kind: Annotated[text(24, 1) | None, Query()] = None,  # type: ignore[valid-type]
    role: FiveRole | None = None,
) -> Page[DutyRecordRead]:
    """The record of duty (履职档案), latest first; notes, places, GPS and photos only for the deputy and staff."""
    await get_deputy(session, deputy_id)
    return await list_record(
        session,
        deputy_id,
        page,
        private=may_see_private(principal, deputy_id),
        date_from=date_from,
        date_to=date_to,
        kind=kind,
        role=role,
    )


@router.post(
    "/deputies/{deputy_id}/record",
    operation_id="deputy-record-add",
    status_code=201,
    response_model=DutyRecordRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def add_entry(
    deputy_id: EntityId,
    body: EntryCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    once: OnceDep,
    key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Log a field visit, inspection, research visit, suggestion, livelihood matter, reception duty or publicity."""
    require_self_or(principal, deputy_id, *OFFICE_OR_STAFF)

    async def create() -> DutyRecordRead:
        return record_read(await record.add_entry(session, runtime, deputy_id, body, by=principal), True)

    return await once(
        key=key, scope=f"{principal.subject}:record:{deputy_id}", body=body, create=create, status_code=201
    )
