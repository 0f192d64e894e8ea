"""The suggestions for the file: the year's suggestions and their answers as a spreadsheet (XLSX or CSV) for the
NPC office, and one suggestion with its answers as a PDF for the office, its deputies and the officers of its
lead organisation. Anyone else is refused (403), whether or not the suggestion is public."""

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from services.deputy.api.figures import Year
from services.deputy.logic import suggestions as drafting
from services.deputy.views import suggestions as views
from services.deputy.views.suggestion_exports import SUGGESTION_COLUMNS, suggestion_rows
from shared.auth import CurrentPrincipal, Role
from shared.document_serving import pdf_response, pdf_responses, render
from shared.errors import Forbidden
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

router = APIRouter(tags=["deputy"])


def suggestion_pdf(*args: Any, **kwargs: Any) -> Any:
    """services.deputy.suggestion_document.suggestion_pdf, imported at the first call (in the rendering thread): fpdf2
    and the font code (~60 MB) are loaded by the first document printed, not by every process at start."""
    from services.deputy.suggestion_document import suggestion_pdf as real

    return real(*args, **kwargs)


@router.get(
    "/exports/suggestions",
    operation_id="deputy-suggestions-export",
    response_class=StreamingResponse,
    responses={**SHEET_RESPONSES, **responses(401, 403, 422)},
)
async def export_suggestions(
    year: Year,
    session: SessionDep,
    principal: CurrentPrincipal,
    accept_language: AcceptLanguageHeader = None,
    fmt: FormatQuery = SheetFormat.xlsx,
) -> StreamingResponse:
    """The suggestions submitted in the year (China time) and their answers, one row per answer round, with the
    deputies, the organisations, the dates, the class, whether on time, the rating and whether public: the NPC
    office's."""
    principal.require(Role.npc_office)
    lang = language(accept_language)
    return await sheet_response(
        fmt,
        SUGGESTION_COLUMNS,
        suggestion_rows(session, year, lang),
        language=lang,
        title=words(lang, f"{year}年代表建议办理", f"Suggestions {year}"),
        filename=words(lang, f"{year}年代表建议及答复", f"suggestions_{year}"),
        ascii_filename=f"suggestions_{year}",
    )


@router.get(
    "/suggestions/{suggestion_id}/document.pdf",
    operation_id="deputy-suggestion-pdf",
    response_class=Response,
    responses=pdf_responses(401, 403, 404, 422),
    summary="A suggestion with its answers as an A4 PDF for the file: the office, its deputies, its lead organisation",
)
async def suggestion_document(
    suggestion_id: EntityId, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> Response:
    suggestion = await drafting.get_suggestion(session, suggestion_id)
    signers = await drafting.signers_of(session, suggestion_id)
    deputies = {signer.deputy_id for signer in signers}
    if not (
        principal.has(Role.npc_office)
        or (principal.has(Role.deputy) and principal.deputy_id in deputies)
        or (
            principal.has(Role.agency_officer)
            and suggestion.lead_organisation is not None
            and principal.organisation == suggestion.lead_organisation
        )
    ):
        raise Forbidden("Only the NPC office, the suggestion's deputies and its lead organisation file it.")
    read = await views.suggestion_read(session, suggestion, principal, drafting.now_of(runtime))
    settings = runtime.settings
    content = await render(
        lambda: suggestion_pdf(read, issuer=settings.document_issuer, printed_at=runtime.clock.now())
    )
    return pdf_response(content, f"代表建议-{suggestion.title[:30]}.pdf", public=False)
