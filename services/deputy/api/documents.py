"""The annual duty report (履职报告) as PDF: one deputy's (the deputy themself and the office), and all of a
township's deputies in one file (the office)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from services.deputy.api.access import require_self_or
from services.deputy.logic.deputies import get_deputy
from services.deputy.views.report import duty_report, load_tree, township_deputies
from shared.auth import CurrentPrincipal, Role
from shared.clock import today
from shared.document_serving import pdf_response, pdf_responses, render
from shared.service import RuntimeDep, SessionDep
from shared.types import EntityId

router = APIRouter(tags=["deputy"])
ReportYear = Annotated[
    int | None, Query(ge=2000, le=2100, description="The year reported (China time); the current year by default")
]


def duty_reports_pdf(*args: Any, **kwargs: Any) -> Any:
    """services.deputy.documents.duty_reports_pdf, imported at the first call (in the rendering thread): fpdf2
    and the font code (~60 MB) are loaded by the first document printed, not by every process at start."""
    from services.deputy.documents import duty_reports_pdf as real

    return real(*args, **kwargs)


@router.get(
    "/deputies/{deputy_id}/duty-report.pdf",
    operation_id="deputy-duty-report-pdf",
    response_class=Response,
    responses=pdf_responses(401, 403, 404, 422),
    summary="A deputy's annual duty report (履职报告) as an A4 PDF: the deputy themself and the office",
)
async def deputy_duty_report(
    deputy_id: EntityId, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal, year: ReportYear = None
) -> Response:
    require_self_or(principal, deputy_id, Role.npc_office)
    deputy = await get_deputy(session, deputy_id)
    year = year or today(runtime).year
    report = await duty_report(session, deputy, year, await load_tree(session))
    title = f"{year}年度代表履职报告"
    settings = runtime.settings
    content = await render(
        lambda: duty_reports_pdf([report], title=title, issuer=settings.document_issuer, printed_at=runtime.clock.now())
    )
    return pdf_response(content, f"{deputy.name}-{year}年度履职报告.pdf", public=False)


@router.get(
    "/townships/{township_id}/duty-reports.pdf",
    operation_id="deputy-township-duty-reports-pdf",
    response_class=Response,
    responses=pdf_responses(401, 403, 404, 422),
    summary="The annual duty reports of a township's deputies in one PDF, in code order: the office",
)
async def township_duty_reports(
    township_id: EntityId,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    year: ReportYear = None,
) -> Response:
    principal.require(Role.npc_office)
    year = year or today(runtime).year
    township, deputies = await township_deputies(session, township_id, year)
    tree = await load_tree(session)
    reports = [await duty_report(session, deputy, year, tree) for deputy in deputies]
    title = f"{township.name}{year}年度代表履职报告"
    settings = runtime.settings
    content = await render(
        lambda: duty_reports_pdf(reports, title=title, issuer=settings.document_issuer, printed_at=runtime.clock.now())
    )
    return pdf_response(content, f"{township.name}-{year}年度代表履职报告.pdf", public=False)
