"""The caller's own data (PIPL's right of access): what the gateway's `GET /api/me/data` gathers from here."""

from fastapi import APIRouter

from services.case_intake.schemas import MyData
from services.case_intake.views.personal_data import my_data
from shared.auth import CurrentPrincipal
from shared.problems import responses
from shared.service import SessionDep

router = APIRouter(tags=["personal data"])


@router.get("/me/data", operation_id="case-me-data", response_model=MyData, responses=responses(401))
async def get_my_data(session: SessionDep, principal: CurrentPrincipal) -> MyData:
    """Everything kept here under the caller's account, any role: their cases as they see them (with the
    contact they gave), their photos by id and size (not the bytes), their "me too"s, ratings and comments,
    and the steps, referrals and mediation sessions they recorded. For a villager, nothing of anybody else."""
    return await my_data(session, principal)
