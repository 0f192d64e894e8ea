"""A dispute's mediation file as its mediators read it: the sessions in order, each with the day judicial
confirmation must be applied for by when it ended in an agreement."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import Who
from services.case_intake.logic.mediation import CONFIRMATION_DAYS, mediator
from services.case_intake.models import Case, MediationSession
from services.case_intake.schemas import MediationRead
from shared.pagination import PageParams, paginate


async def list_sessions(
    session: AsyncSession, case: Case, who: Who, params: PageParams
) -> tuple[list[MediationSession], int]:
    mediator(who)
    query = select(MediationSession).where(MediationSession.case_id == case.id)
    return await paginate(session, query.order_by(MediationSession.held_on, MediationSession.created_at), params)


def read_model(mediation: MediationSession) -> MediationRead:
    read = MediationRead.model_validate(mediation)
    if mediation.agreement:
        read.confirmation_due_on = mediation.held_on + timedelta(days=CONFIRMATION_DAYS)
    return read
