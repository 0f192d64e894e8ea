"""A villager's case taken into a livelihood micro-project (民生微实事): micro-funding's funding.project.* events name
the cases a project answers (`case_ids`); each stage the villager should hear of goes on each cited case's
timeline as a step that leaves the case's status as it is, with the project's title, the stage and, from its
public notice on, the project's public page.

The title is what the proposing deputy wrote for the public notice, not anyone's own words about themselves; a
case case intake does not keep (an id from elsewhere, a mistyped one) is passed over."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import SYSTEM, Actor
from services.case_intake.domain.projects import ENDINGS, SHOWN_STAGES, STAGE_WORDS
from services.case_intake.logic.timeline import record
from services.case_intake.models import Case, CaseTransition
from shared.messaging.catalogue import ProjectStepped

ACTION = "project"


async def on_project_step(session: AsyncSession, payload: ProjectStepped) -> None:
    """Put the project's stage on the timeline of each case it cites (once per event: the inbox runs a handler
    once)."""
    if payload.to_status not in SHOWN_STAGES or not payload.case_ids:
        return
    cases = (await session.execute(select(Case).where(Case.id.in_(payload.case_ids)))).scalars().all()
    heard = set()
    if payload.to_status in ENDINGS:  # a draft withdrawn was never news: only an end of what the filer heard of
        query = select(CaseTransition.case_id).where(
            CaseTransition.project_id == payload.project_id, CaseTransition.case_id.in_(payload.case_ids)
        )
        heard = set((await session.execute(query)).scalars())
    for case in cases:
        if payload.to_status in ENDINGS and case.id not in heard:
            continue
        step = await record(
            session,
            case,
            action=ACTION,
            from_status=case.status,
            to_status=case.status,
            who=SYSTEM,
            actor=Actor.system,
            reason=f"Taken into a livelihood micro-project, {STAGE_WORDS[payload.to_status]}: {payload.title}",
            at=payload.at,
            said=payload.title,
        )
        step.project_id, step.project_stage = payload.project_id, payload.to_status
