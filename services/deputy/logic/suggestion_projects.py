"""A micro-project that carries out a deputies' suggestion (its proposal cites the suggestion in micro_funding):
funding.project.submitted.v2 puts it on the suggestion, completed.v2 records its completion there.

The link is kept only when one of the project's deputies is on the suggestion (lead or co-signer), so that a
deputy cannot hang their project on somebody else's suggestion; an unknown suggestion is ignored."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.models import Suggestion, SuggestionProject, SuggestionSigner
from shared.messaging.catalogue import ProjectCompleted, ProjectStepped


async def project_stepped(session: AsyncSession, payload: ProjectStepped) -> None:
    suggestion_id = getattr(payload, "suggestion_id", None)
    if not suggestion_id or await session.get(Suggestion, suggestion_id) is None:
        return
    signers = select(SuggestionSigner.deputy_id).where(SuggestionSigner.suggestion_id == suggestion_id)
    if not set(payload.deputy_ids) & set((await session.execute(signers)).scalars()):
        return
    link = await session.get(SuggestionProject, payload.project_id)
    if link is None:
        link = SuggestionProject(project_id=payload.project_id, proposed_at=payload.at)
        session.add(link)
    link.suggestion_id, link.title, link.status = suggestion_id, payload.title[:200], payload.to_status
    if isinstance(payload, ProjectCompleted):
        link.completed_at = payload.at
