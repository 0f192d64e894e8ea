from pydantic import BaseModel, ConfigDict

from shared.types import text


class PasswordLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: text(64, 1)  # type: ignore[valid-type]
    password: text(200, 1)  # type: ignore[valid-type]


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    name: str
    roles: list[str]
    deputy_id: str | None
