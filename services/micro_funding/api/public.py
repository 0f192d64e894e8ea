"""The public page: a village's micro-projects from their public notice on, with no personal data (no account,
no cited case; phone and identity numbers in what officials wrote masked); and a project's printed public notice
(公示) for the village board."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from services.micro_funding import views
from services.micro_funding.schemas import ProgressRead, ProjectStatus, PublicProject
from shared.document_serving import pdf_response, pdf_responses, render
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.types import EntityId

router = APIRouter(tags=["funding"])


def notice_pdf(*args: Any, **kwargs: Any) -> Any:
    """services.micro_funding.documents.notice_pdf, imported at the first call (in the rendering thread): fpdf2
    and the font code (~60 MB) are loaded by the first document printed, not by every process at start."""
    from services.micro_funding.documents import notice_pdf as real

    return real(*args, **kwargs)


def project_link(*args: Any, **kwargs: Any) -> Any:
    """services.micro_funding.documents.project_link, imported at the first call (in the rendering thread): fpdf2
    and the font code (~60 MB) are loaded by the first document printed, not by every process at start."""
    from services.micro_funding.documents import project_link as real

    return real(*args, **kwargs)


@router.get(
    "/public/villages/{village_id}/projects",
    operation_id="public-village-projects",
    response_model=Page[PublicProject],
    responses=responses(404, 422),
    summary="A village's micro-projects from their public notice on: stage, money, progress, rating",
)
async def public_village_projects(
    village_id: EntityId,
    session: SessionDep,
    page: PageDep,
    status: Annotated[ProjectStatus | None, Query()] = None,
) -> Page[PublicProject]:
    items, total = await views.public_village_page(session, village_id, page, status.value if status else None)
    return Page(items=items, total=total, **page.model_dump())


@router.get(
    "/public/projects/{project_id}",
    operation_id="public-project-get",
    response_model=PublicProject,
    responses=responses(404, 422),
)
async def public_project(project_id: EntityId, session: SessionDep) -> PublicProject:
    return await views.public_project(session, project_id)


@router.get(
    "/public/projects/{project_id}/progress",
    operation_id="public-progress-list",
    response_model=Page[ProgressRead],
    responses=responses(404, 422),
)
async def public_progress(project_id: EntityId, session: SessionDep, page: PageDep) -> Page[ProgressRead]:
    await views.public_project(session, project_id)
    return await views.public_progress(session, project_id, page)


@router.get(
    "/public/projects/{project_id}/notice.pdf",
    operation_id="public-project-notice-pdf",
    response_class=Response,
    responses=pdf_responses(404, 422),
    summary="A public project's notice (公示) for the village board, as an A4 PDF with a QR code to its page",
)
async def public_project_notice(project_id: EntityId, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Anyone: what it prints is what the public page shows, with the cited cases' kind, category, place and
    progress (never who asked or what they wrote)."""
    data = await views.notice_data(session, project_id)
    settings, now = runtime.settings, runtime.clock.now()
    site = settings.public_url
    content = await render(
        lambda: notice_pdf(data, link=project_link(site, project_id), issuer=settings.document_issuer, printed_at=now)
    )
    return pdf_response(content, f"民生微实事项目公示-{data.project.title[:40]}.pdf", public=True)
