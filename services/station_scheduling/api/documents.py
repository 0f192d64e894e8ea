"""Printed documents, for anyone (what they print is public): a reception session's notice for the village, and
a village group's QR poster (or the posters of every group of a village or township, one a page)."""

from typing import Any

from fastapi import APIRouter, Response

from services.station_scheduling.logic.sessions import get_reception
from services.station_scheduling.views.documents import posters, session_notice
from shared.document_serving import pdf_response, pdf_responses, render
from shared.service import RuntimeDep, SessionDep
from shared.types import EntityId

router = APIRouter(tags=["station"])


def posters_pdf(*args: Any, **kwargs: Any) -> Any:
    """services.station_scheduling.documents.posters_pdf, imported at the first call (in the rendering thread): fpdf2
    and the font code (~60 MB) are loaded by the first document printed, not by every process at start."""
    from services.station_scheduling.documents import posters_pdf as real

    return real(*args, **kwargs)


def session_notice_pdf(*args: Any, **kwargs: Any) -> Any:
    """services.station_scheduling.documents.session_notice_pdf, imported at the first call (rendering thread): fpdf2
    and the font code (~60 MB) are loaded by the first document printed, not by every process at start."""
    from services.station_scheduling.documents import session_notice_pdf as real

    return real(*args, **kwargs)


@router.get(
    "/sessions/{session_id}/notice.pdf",
    operation_id="session-notice-pdf",
    response_class=Response,
    responses=pdf_responses(404, 422),
    summary="A reception session's notice for the village (A4 PDF): when, where, which deputies and agencies",
)
async def session_notice_document(session_id: EntityId, db: SessionDep, runtime: RuntimeDep) -> Response:
    notice = await session_notice(db, await get_reception(db, session_id))
    settings, now = runtime.settings, runtime.clock.now()
    issuer, public_url = settings.document_issuer, settings.public_url
    content = await render(lambda: session_notice_pdf(notice, public_url=public_url, issuer=issuer, printed_at=now))
    day = f"{notice.session.starts_at:%Y%m%d}"
    return pdf_response(content, f"代表接待日公告-{notice.station.name}-{day}.pdf", public=True)


@router.get(
    "/grids/{grid_id}/posters.pdf",
    operation_id="grid-posters-pdf",
    response_class=Response,
    responses=pdf_responses(404, 422),
    summary="QR posters (扫码反映问题) of a village group, or of every group of a village or township, one a page",
)
async def grid_posters(grid_id: EntityId, db: SessionDep, runtime: RuntimeDep) -> Response:
    """Each poster's QR code opens the PWA's filing with its group chosen (PUBLIC_URL/file?grid=<group id>)."""
    settings, now = runtime.settings, runtime.clock.now()
    grid, made = await posters(db, grid_id, now)
    title = f"扫码反映问题 · {grid.name}"
    content = await render(
        lambda: posters_pdf(
            made, title=title, public_url=settings.public_url, issuer=settings.document_issuer, printed_at=now
        )
    )
    return pdf_response(content, f"扫码反映问题-{grid.name}.pdf", public=True)
