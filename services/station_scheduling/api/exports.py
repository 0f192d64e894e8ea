"""Reception records as a spreadsheet (XLSX or CSV, shared.sheets_out): what GET /records lists to the caller,
with its filters and a period of sessions, every page at once."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from services.station_scheduling.api.sessions import DateFrom, DateTo
from services.station_scheduling.logic.access import MANAGERS
from services.station_scheduling.schemas import Outcome
from services.station_scheduling.views import exports
from shared.auth import CurrentPrincipal, Role
from shared.errors import Unprocessable
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
from shared.types import EntityId

router = APIRouter(tags=["station"])


@router.get(
    "/exports/receptions",
    operation_id="record-list-export",
    response_class=StreamingResponse,
    responses={**SHEET_RESPONSES, **responses(401, 403, 422)},
)
async def export_receptions(
    db: SessionDep,
    principal: CurrentPrincipal,
    session_id: Annotated[EntityId | None, Query()] = None,
    station_id: Annotated[EntityId | None, Query()] = None,
    outcome: Outcome | None = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    accept_language: AcceptLanguageHeader = None,
    fmt: FormatQuery = SheetFormat.xlsx,
) -> StreamingResponse:
    """The reception records GET /records lists to the caller (every record for station staff and the office;
    the records of the sessions a deputy was on duty at for that deputy), of the sessions held in the period.
    The visitor, masked, only for station staff and the office (who see the bookings)."""
    duty_of = None
    if not principal.has(*MANAGERS):
        principal.require(Role.deputy)
        duty_of = principal.deputy_id or ""
    if date_from and date_to and date_to < date_from:
        raise Unprocessable("The period ends before it starts.")
    lang = language(accept_language)
    period = "_".join(day.isoformat() for day in (date_from, date_to) if day) or "all"
    filters = {"session_id": session_id, "station_id": station_id, "outcome": outcome, "duty_of": duty_of}
    rows = exports.record_rows(db, lang, with_visitor=duty_of is None, date_from=date_from, date_to=date_to, **filters)
    return await sheet_response(
        fmt,
        exports.COLUMNS,
        rows,
        language=lang,
        title=words(lang, "接待记录", "Reception records"),
        filename=words(lang, f"联络站接待记录_{period}", f"receptions_{period}"),
        ascii_filename=f"receptions_{period}",
    )
