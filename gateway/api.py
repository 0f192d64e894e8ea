from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import logic
from gateway.schemas import PasswordLogin, TokenRead
from shared.problems import responses

router = APIRouter(prefix="/api/auth", tags=["auth"])


async def get_session(request: Request):  # type: ignore[no-untyped-def]
    async with request.app.state.maker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


@router.post("/login", operation_id="auth-login", response_model=TokenRead, responses=responses(401, 422))
async def login(body: PasswordLogin, session: SessionDep, request: Request) -> TokenRead:
    """Officials sign in with a user name and password and get a short-lived access token."""
    settings = request.app.state.settings
    account = await logic.authenticate(session, body.username, body.password)
    token, expires_in = logic.token_for(
        account, request.app.state.private_key, settings.token_issuer, settings.access_token_minutes
    )
    principal = logic.principal_of(account)
    return TokenRead(
        access_token=token,
        expires_in=expires_in,
        name=account.name,
        roles=sorted(principal.roles),
        deputy_id=account.deputy_id,
    )
