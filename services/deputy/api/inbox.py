"""The inbox: the signed-in deputy's cases, or a deputy's for the deputy themself and staff."""

from fastapi import APIRouter

from services.deputy.api.access import OFFICE_OR_STAFF, require_self_or
from services.deputy.logic.deputies import get_deputy
from services.deputy.schemas import InboxCaseRead
from services.deputy.views.inbox import inbox
from shared.auth import CurrentPrincipal, Role
from shared.errors import Forbidden
from shared.pagination import Page, PageDep
from shared.problems import responses
from shared.service import SessionDep
from shared.types import EntityId

router = APIRouter(tags=["deputy"])


@router.get(
    "/inbox", operation_id="deputy-my-inbox", response_model=Page[InboxCaseRead], responses=responses(401, 403, 422)
)
async def my_inbox(
    session: SessionDep, page: PageDep, principal: CurrentPrincipal, open_only: bool = False
) -> Page[InboxCaseRead]:
    """The signed-in deputy's cases: open ones first, the most urgent first."""
    principal.require(Role.deputy)
    if principal.deputy_id is None:
        raise Forbidden("This account is not linked to a deputy.")
    return await inbox(session, principal.deputy_id, page, open_only=open_only)


@router.get(
    "/deputies/{deputy_id}/inbox",
    operation_id="deputy-inbox",
    response_model=Page[InboxCaseRead],
    responses=responses(401, 403, 404, 422),
)
async def deputy_inbox(
    deputy_id: EntityId, session: SessionDep, page: PageDep, principal: CurrentPrincipal, open_only: bool = False
) -> Page[InboxCaseRead]:
    require_self_or(principal, deputy_id, *OFFICE_OR_STAFF)
    await get_deputy(session, deputy_id)
    return await inbox(session, deputy_id, page, open_only=open_only)
