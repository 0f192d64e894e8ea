"""Spreadsheets of the deputy service (XLSX or CSV, shared.sheets_out): the reference figures of a period by
township → village → group, and the five ones of the deputies. Each is authorised like the screen it prints."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from services.deputy.api.access import OFFICE_OR_STAFF
from services.deputy.api.figures import Year
from services.deputy.views import exports
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
from shared.types import CivilDate, EntityId

router = APIRouter(tags=["deputy"])


async def _once(rows: list[list[Any]]) -> AsyncIterator[list[list[Any]]]:
    yield rows


@router.get(
    "/exports/statistics",
    operation_id="deputy-statistics-export",
    response_class=StreamingResponse,
    responses={**SHEET_RESPONSES, **responses(422)},
)
async def export_statistics(
    session: SessionDep,
    date_from: CivilDate,
    date_to: CivilDate,
    accept_language: AcceptLanguageHeader = None,
    fmt: FormatQuery = SheetFormat.xlsx,
) -> StreamingResponse:
    """The reference figures of GET /statistics (suggestions, disputes mediated, households supported,
    livelihood matters, visitors received, issues resolved) for the days given, for the city and every
    township, village and group: public, as the figures are."""
    if date_to < date_from:
        raise Unprocessable("The range ends before it starts.")
    lang = language(accept_language)
    rows = await exports.statistics_rows(session, date_from, date_to, lang)
    period = f"{date_from.isoformat()}_{date_to.isoformat()}"
    return await sheet_response(
        fmt,
        exports.STATISTICS_COLUMNS,
        _once(rows),
        language=lang,
        title=words(lang, "履职统计", "Duty figures"),
        filename=words(lang, f"履职统计_{period}", f"duty-figures_{period}"),
        ascii_filename=f"duty-figures_{period}",
    )


@router.get(
    "/exports/five-ones",
    operation_id="deputy-five-ones-export",
    response_class=StreamingResponse,
    responses={**SHEET_RESPONSES, **responses(401, 403, 422)},
)
async def export_five_ones(
    year: Year,
    session: SessionDep,
    principal: CurrentPrincipal,
    township_id: Annotated[EntityId | None, Query(description="Deputies living in this township")] = None,
    accept_language: AcceptLanguageHeader = None,
    fmt: FormatQuery = SheetFormat.xlsx,
) -> StreamingResponse:
    """The five ones (五个一) of the year: every active deputy, how many records back each of the five, how many
    are done. For the office and station staff; a deputy gets their own row only (as their own five ones)."""
    if principal.has(*OFFICE_OR_STAFF):
        only = None
    else:
        principal.require(Role.deputy)
        if not principal.deputy_id:
            principal.require(*OFFICE_OR_STAFF)  # a deputy account not linked to a deputy: 403
        only = principal.deputy_id
    lang = language(accept_language)
    return await sheet_response(
        fmt,
        exports.FIVE_ONES_COLUMNS,
        exports.five_ones_rows(session, year, lang, township_id=township_id, deputy_id=only),
        language=lang,
        title=words(lang, f"{year}年五个一", f"Five ones {year}"),
        filename=words(lang, f"{year}年代表五个一", f"five-ones_{year}"),
        ascii_filename=f"five-ones_{year}",
    )
