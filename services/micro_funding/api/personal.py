"""`GET /me/data`: the caller's part of the download of everything kept about them (the gateway's /api/me/data)."""

from fastapi import APIRouter

from services.micro_funding import views
from services.micro_funding.schemas import FundingPersonalData
from shared.auth import CurrentPrincipal
from shared.problems import responses
from shared.service import SessionDep

router = APIRouter(tags=["funding"])


@router.get(
    "/me/data",
    operation_id="micro-funding-me-data",
    response_model=FundingPersonalData,
    responses=responses(401),
    summary="What micro-funding keeps about me",
)
async def my_data(session: SessionDep, principal: CurrentPrincipal) -> FundingPersonalData:
    """Every objection and rating made under the caller's account, each with its project's title; any signed-in
    account."""
    return await views.personal_data(session, principal.subject)
