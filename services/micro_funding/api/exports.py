"""The micro-projects' ledger as a spreadsheet (XLSX or CSV, shared.sheets_out): what GET /ledger-entries lists,
with its filters (one pool's books, one project's ledger, one kind of entry), every page at once, in yuan."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from services.micro_funding import views
from services.micro_funding.logic.projects import READERS
from services.micro_funding.schemas import EntryKindName
from shared.auth import CurrentPrincipal
from shared.clock import CHINA
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.sheets_out import (
    SHEET_RESPONSES,
    AcceptLanguageHeader,
    FormatQuery,
    SheetFormat,
    language,
    sheet_response,
    words,
)
from shared.types import EntityId

router = APIRouter(tags=["funding"])


@router.get(
    "/exports/ledger",
    operation_id="ledger-entry-list-export",
    response_class=StreamingResponse,
    responses={**SHEET_RESPONSES, **responses(401, 403, 422)},
    summary="The append-only ledger as a spreadsheet, oldest first (one project's ledger with project_id)",
)
async def export_ledger(
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    pool_id: Annotated[EntityId | None, Query()] = None,
    project_id: Annotated[EntityId | None, Query()] = None,
    kind: Annotated[EntryKindName | None, Query()] = None,
    accept_language: AcceptLanguageHeader = None,
    fmt: FormatQuery = SheetFormat.xlsx,
) -> StreamingResponse:
    """Every entry GET /ledger-entries lists (officials: deputies, station staff, the office, finance, agency
    officers), with each entry's pool and project by name and the amounts and balances in yuan."""
    principal.require(*READERS)
    lang = language(accept_language)
    day = runtime.clock.now().astimezone(CHINA).date().isoformat()
    scope = "project" if project_id else "pool" if pool_id else "all"
    filters = {"pool_id": pool_id, "project_id": project_id, "kind": kind.value if kind else None}
    return await sheet_response(
        fmt,
        views.LEDGER_COLUMNS,
        views.ledger_rows(session, lang, **filters),
        language=lang,
        title=words(lang, "民生微实事台账", "Micro-project ledger"),
        filename=words(lang, f"民生微实事台账_{day}", f"ledger-{scope}_{day}"),
        ascii_filename=f"ledger-{scope}_{day}",
    )
