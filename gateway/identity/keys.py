"""The gateway's token-signing keys, and their rotation.

Only the gateway holds a private key (TOKEN_PRIVATE_KEY_FILE). The services verify with public keys only,
from TOKEN_PUBLIC_KEY_FILE: the current key and the one before it, as PEM public keys one after another
(shared.auth reads that, or a JWKS document). The gateway serves the same keys at /api/auth/jwks.json.

`python -m gateway.identity.keys rotate` (with the gateway's environment) makes a new key: it writes the
public key file first (the new key, then the current one, which keeps verifying the tokens it signed until
they expire; any older key is dropped), then the private key. Services pick the new key up when a token
names it; a running gateway signs with the new key within a second. It refuses to drop a key that may still
have live tokens (the current key became current less than an access token's lifetime ago) unless `--force`.
`python -m gateway.identity.keys jwks` prints the JWKS document of the keys in force.
"""

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import jwk_of, key_id_of, pem_of, public_key_of, public_keys

RECHECK_SECONDS = 1.0
SKEW = timedelta(minutes=1)


class SigningKeys:
    """The current private key (read again when its file changes) and the public keys in force."""

    def __init__(self, private_path: Path, public_path: Path | None) -> None:
        self.private_path = private_path
        self.public_path = public_path
        self._load()

    def _load(self) -> None:
        self._stamp = self.private_path.stat().st_mtime_ns
        self._private = self.private_path.read_bytes()
        self._key_id = key_id_of(self._private)
        self._checked = time.monotonic()

    def current(self) -> tuple[bytes, str]:
        """The private key to sign with and its `kid`."""
        if time.monotonic() - self._checked >= RECHECK_SECONDS:
            self._checked = time.monotonic()
            try:
                if self.private_path.stat().st_mtime_ns != self._stamp:
                    self._load()
            except (OSError, ValueError):
                pass  # keep signing with the key we have; a half-written file is read again later
        return self._private, self._key_id

    def public_set(self) -> bytes:
        """The public keys in force as PEM, the current one first (the verifier's and the JWKS's source)."""
        private, _ = self.current()
        keys = public_keys(public_key_of(private))
        if self.public_path is not None and self.public_path.is_file():
            keys |= {kid: key for kid, key in public_keys(self.public_path.read_bytes()).items() if kid not in keys}
        return b"".join(pem_of(key) for key in keys.values())

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [jwk_of(key) for key in public_keys(self.public_set()).values()]}


class RotationRefused(Exception):
    pass


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write a file whole or not at all (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(data)
    partial.chmod(mode)
    os.replace(partial, path)


def rotate(
    private_path: Path,
    public_path: Path,
    *,
    token_lifetime: timedelta,
    force: bool = False,
    now: datetime | None = None,
) -> tuple[str, str]:
    """Make a new signing key, keep the current one's public key; returns (new kid, kept kid)."""
    now = now or datetime.now(UTC)
    current = private_path.read_bytes()
    current_kid = key_id_of(current)
    kept = public_keys(public_key_of(current))
    existing = public_keys(public_path.read_bytes()) if public_path.is_file() else {}
    dropped = [kid for kid in existing if kid not in kept]
    became_current = datetime.fromtimestamp(private_path.stat().st_mtime, UTC)
    if dropped and not force and now < became_current + token_lifetime + SKEW:
        until = (became_current + token_lifetime + SKEW).isoformat(timespec="seconds")
        raise RotationRefused(
            f"the key before the current one may still verify live tokens until {until}; rotate after that "
            "(or pass --force to cut those tokens off)"
        )
    new = Ed25519PrivateKey.generate()
    new_private = new.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(public_path, pem_of(new.public_key()) + b"".join(pem_of(key) for key in kept.values()), 0o644)
    _write(private_path, new_private, 0o600)
    return key_id_of(new_private), current_kid


def main(argv: list[str]) -> int:
    from gateway.settings import GatewaySettings

    parser = argparse.ArgumentParser(prog="python -m gateway.identity.keys", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["rotate", "jwks"])
    parser.add_argument("--force", action="store_true", help="rotate even if the oldest key may have live tokens")
    args = parser.parse_args(argv)
    settings = GatewaySettings()
    private_path, public_path = settings.token_private_key_file, settings.token_public_key_file
    if args.command == "jwks":
        print(json.dumps(SigningKeys(private_path, public_path).jwks(), indent=2))
        return 0
    lifetime = timedelta(minutes=settings.access_token_minutes)
    try:
        new_kid, kept_kid = rotate(private_path, public_path, token_lifetime=lifetime, force=args.force)
    except RotationRefused as error:
        print(f"not rotated: {error}", file=sys.stderr)
        return 1
    print(f"signing with {new_kid} now; {kept_kid} verifies until its tokens expire ({public_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
