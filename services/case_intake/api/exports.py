"""The case list as a spreadsheet (XLSX or CSV, shared.sheets_out): what GET /cases lists to the caller, with its
filters, every page at once, each case as the caller sees it on screen."""

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from services.case_intake.api.common import RuntimeDep
from services.case_intake.schemas import CaseKind, CaseStatus, SortOrder
from services.case_intake.views import exports
from shared.auth import CurrentPrincipal
from shared.clock import CHINA
from shared.problems import responses
from shared.service import SessionDep
from shared.sheets_out import (
    SHEET_RESPONSES,
    AcceptLanguageHeader,
    FormatQuery,
    SheetFormat,
    language,
    sheet_response,
    words,
)
from shared.types import Code, EntityId

router = APIRouter(tags=["case"])


@router.get(
    "/exports/cases",
    operation_id="case-list-export",
    response_class=StreamingResponse,
    responses={**SHEET_RESPONSES, **responses(401, 422)},
)
async def export_cases(
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    status: CaseStatus | None = None,
    grid_id: EntityId | None = None,
    kind: CaseKind | None = None,
    category: Code | None = None,
    overdue: bool | None = None,
    sort: SortOrder = SortOrder.newest,
    accept_language: AcceptLanguageHeader = None,
    fmt: FormatQuery = SheetFormat.xlsx,
) -> StreamingResponse:
    """The caller's cases as GET /cases lists them (own and supported, routed to them or in their grids, referred
    to their organisation; every case for the office and station staff), with the same filters and order. The
    contact is masked, and only on the cases whose contact the caller sees on screen."""
    lang = language(accept_language)
    now = runtime.clock.now()
    day = now.astimezone(CHINA).date().isoformat()
    filters = {"status": status, "grid_id": grid_id, "kind": kind, "category": category, "overdue": overdue}
    return await sheet_response(
        fmt,
        exports.COLUMNS,
        exports.case_rows(session, principal, lang, now=now, sort=sort, **filters),
        language=lang,
        title=words(lang, "案件清单", "Cases"),
        filename=words(lang, f"案件清单_{day}", f"cases_{day}"),
        ascii_filename=f"cases_{day}",
    )
