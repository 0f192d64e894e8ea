"""Signed access tokens (EdDSA JWTs): issued by the gateway, verified by every service with the public key."""

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.algorithms import OKPAlgorithm
from jwt.utils import base64url_encode
from pydantic import BaseModel

from shared.errors import Forbidden, Unauthorized
from shared.problems import OPTIONAL_BEARER, REQUIRED_BEARER

ALGORITHM = "EdDSA"


class Role(StrEnum):
    villager = "villager"
    deputy = "deputy"
    station_staff = "station_staff"
    agency_officer = "agency_officer"
    npc_office = "npc_office"
    finance = "finance"


class Principal(BaseModel):
    """Who is calling: an account with roles, and the deputy or organisation it acts for."""

    subject: str
    roles: frozenset[Role]
    name: str = ""
    deputy_id: str | None = None
    organisation: str | None = None

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def require(self, *roles: Role) -> None:
        if not self.has(*roles):
            raise Forbidden("Your role may not do this.")


def generate_keypair(private_path: Path, public_path: Path) -> None:
    """Create an Ed25519 key pair (development start-up); production mounts its own."""
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    private_path.chmod(0o600)
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def public_key_of(private_key_pem: bytes) -> bytes:
    """The PEM public key that belongs to a PEM Ed25519 private key."""
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def jwk_of(public_key_pem: bytes) -> dict[str, str]:
    """The public key as a JWK (RFC 8037 OKP, PyJWT's encoding) with its RFC 7638 thumbprint as `kid`: the
    SHA-256 of the required members in their canonical JSON form."""
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the token signing key must be Ed25519")
    jwk = OKPAlgorithm.to_jwk(key, as_dict=True)
    required = {name: jwk[name] for name in ("crv", "kty", "x")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True)
    kid = base64url_encode(hashlib.sha256(canonical.encode()).digest()).decode()
    return {"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"], "kid": kid, "use": "sig", "alg": ALGORITHM}


def issue_token(
    private_key_pem: bytes,
    principal: Principal,
    *,
    issuer: str,
    lifetime: timedelta,
    now: datetime | None = None,
    key_id: str | None = None,
) -> str:
    """A signed access token; `now` comes from the caller's clock, `key_id` names the key in the JWKS."""
    now = now or datetime.now(UTC)
    claims = {
        "iss": issuer,
        "sub": principal.subject,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
        "roles": sorted(principal.roles),
        "name": principal.name,
        "deputy_id": principal.deputy_id,
        "org": principal.organisation,
    }
    headers = {"kid": key_id} if key_id else None
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM, headers=headers)


class TokenVerifier:
    def __init__(self, public_key_pem: bytes, issuer: str) -> None:
        self.public_key = public_key_pem
        self.issuer = issuer

    def verify(self, token: str) -> Principal:
        return self.verify_claims(token)[0]

    def verify_claims(self, token: str) -> tuple[Principal, dict]:
        """The principal and the raw claims (`exp` tells a live stream when to end)."""
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": ["exp", "sub", "iss"]},
            )
        except jwt.PyJWTError as error:
            raise Unauthorized("The access token is not valid or has expired.") from error
        try:
            roles = frozenset(Role(role) for role in claims.get("roles", []))
        except ValueError as error:
            raise Unauthorized("The access token names an unknown role.") from error
        principal = Principal(
            subject=claims["sub"],
            roles=roles,
            name=claims.get("name") or "",
            deputy_id=claims.get("deputy_id"),
            organisation=claims.get("org"),
        )
        return principal, claims


_DESCRIPTION = "An access token from the gateway's sign-in"
required_bearer = HTTPBearer(auto_error=False, scheme_name=REQUIRED_BEARER, description=_DESCRIPTION)
optional_bearer = HTTPBearer(auto_error=False, scheme_name=OPTIONAL_BEARER, description=_DESCRIPTION)
Credentials = HTTPAuthorizationCredentials | None


def _verify(request: Request, credentials: Credentials) -> Principal | None:
    if credentials is None:
        return None
    return request.app.state.verifier.verify(credentials.credentials)


async def optional_principal(
    request: Request, credentials: Annotated[Credentials, Depends(optional_bearer)]
) -> Principal | None:
    return _verify(request, credentials)


async def current_principal(
    request: Request, credentials: Annotated[Credentials, Depends(required_bearer)]
) -> Principal:
    principal = _verify(request, credentials)
    if principal is None:
        raise Unauthorized("Sign in to do this.")
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
