"""Signed access tokens (EdDSA JWTs): issued by the gateway, verified by every service with public keys only.

Every token names its key (`kid`, the key's RFC 7638 thumbprint). A service reads the public keys from one
file (TOKEN_PUBLIC_KEY_FILE): one PEM public key, several PEM public keys one after another, or a JWKS
document (`{"keys": [...]}`, as the gateway serves at /api/auth/jwks.json). The verifier looks at the file
at most once a second and reads it again when it changed, so the keys a rotation adds or drops
(`python -m gateway.identity.keys rotate`) are taken up without a restart; a token naming a key not in the
file is refused, and so is one without `kid` when the file holds more than one key.
"""

import functools
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable
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


def jwk_of(public_key_pem: bytes | Ed25519PublicKey) -> dict[str, str]:
    """The public key as a JWK (RFC 8037 OKP, PyJWT's encoding) with its RFC 7638 thumbprint as `kid`: the
    SHA-256 of the required members in their canonical JSON form."""
    key = public_key_pem if isinstance(public_key_pem, Ed25519PublicKey) else _load_public(public_key_pem)
    jwk = OKPAlgorithm.to_jwk(key, as_dict=True)
    required = {name: jwk[name] for name in ("crv", "kty", "x")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True)
    kid = base64url_encode(hashlib.sha256(canonical.encode()).digest()).decode()
    return {"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"], "kid": kid, "use": "sig", "alg": ALGORITHM}


def _load_public(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the token signing key must be Ed25519")
    return key


PEM_END = b"-----END PUBLIC KEY-----"


def public_keys(data: bytes) -> dict[str, Ed25519PublicKey]:
    """The public keys of a key file by `kid`: PEM public keys one after another, or a JWKS document (a key's
    `kid` is its thumbprint whatever the document says, so a file cannot give a key another key's name)."""
    keys: dict[str, Ed25519PublicKey] = {}
    if data.lstrip().startswith(b"{"):
        for jwk in json.loads(data).get("keys", []):
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                key = OKPAlgorithm.from_jwk(jwk)
                if isinstance(key, Ed25519PublicKey):
                    keys[jwk_of(key)["kid"]] = key
        return keys
    for block in data.split(PEM_END):
        if b"-----BEGIN" in block:
            key = _load_public(block[block.index(b"-----BEGIN") :] + PEM_END + b"\n")
            keys[jwk_of(key)["kid"]] = key
    return keys


def pem_of(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@functools.lru_cache(maxsize=8)
def key_id_of(private_key_pem: bytes) -> str:
    """The `kid` of a PEM private key: its public key's thumbprint."""
    return jwk_of(public_key_of(private_key_pem))["kid"]


def issue_token(
    private_key_pem: bytes,
    principal: Principal,
    *,
    issuer: str,
    lifetime: timedelta,
    now: datetime | None = None,
    key_id: str | None = None,
) -> str:
    """A signed access token; `now` comes from the caller's clock, `key_id` names the key in the JWKS (by
    default the private key's own thumbprint)."""
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
    headers = {"kid": key_id or key_id_of(private_key_pem)}
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM, headers=headers)


KeySource = bytes | Path | Callable[[], bytes]


class TokenVerifier:
    """Verifies access tokens with public keys only, picking the key by the token's `kid`.

    `keys` is the key file's contents, the key file's path (read again when a token names an unknown key, at
    most every `reread_seconds`), or a function that returns the contents (the gateway's own keys)."""

    def __init__(self, keys: KeySource, issuer: str, *, reread_seconds: float = 1.0) -> None:
        self.issuer = issuer
        self.reread_seconds = reread_seconds
        self._path = keys if isinstance(keys, Path) else None
        self._load: Callable[[], bytes] | None = None
        if isinstance(keys, bytes):
            self.keys = public_keys(keys)
        else:
            self._load = keys.read_bytes if isinstance(keys, Path) else keys
            self._stamp = self._stamp_now()
            self.keys = public_keys(self._load())
        self._read_at = time.monotonic()
        self._lock = threading.Lock()
        if not self.keys:
            raise ValueError("no public key to verify tokens with")

    def _stamp_now(self) -> int | None:
        try:
            return self._path.stat().st_mtime_ns if self._path is not None else None
        except OSError:
            return None

    def _key(self, kid: object) -> Ed25519PublicKey:
        self._reread()
        if kid is None:
            if len(self.keys) == 1:
                return next(iter(self.keys.values()))
            raise Unauthorized("The access token does not name its key.")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthorized("The access token names no known key.")
        return key

    def _reread(self) -> None:
        """Take up a changed key set (a rotation adds a key and, later, drops the oldest): at most once every
        `reread_seconds`; a file is read only when its modification time changed."""
        if self._load is None or time.monotonic() - self._read_at < self.reread_seconds:
            return
        with self._lock:
            self._read_at = time.monotonic()
            stamp = self._stamp_now()
            if self._path is not None and stamp == self._stamp:
                return
            try:
                keys = public_keys(self._load())
            except (OSError, ValueError, jwt.PyJWTError):
                return  # keep the keys we have; a half-written file is read again later
            if keys:
                self.keys, self._stamp = keys, stamp

    def verify(self, token: str) -> Principal:
        return self.verify_claims(token)[0]

    def verify_claims(self, token: str) -> tuple[Principal, dict]:
        """The principal and the raw claims (`exp` tells a live stream when to end)."""
        try:
            key = self._key(jwt.get_unverified_header(token).get("kid"))
            claims = jwt.decode(
                token,
                key,
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
