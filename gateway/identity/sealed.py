"""Secrets the gateway must read back (officials' TOTP secrets, integrators' webhook signing secrets) are kept
encrypted at rest: Fernet (AES-128-CBC with HMAC-SHA256, from cryptography) with keys from a file that is not
in the database (ENCRYPTION_KEYS_FILE, one key a line; the first encrypts, every one decrypts, so a new key
goes on top and the old one stays until every value was sealed again). Sealed values start with `f1:`.

Development makes the file (under var/) on first use; production mounts it from a secret and refuses to start
without it."""

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "f1:"


class SealBroken(Exception):
    """A sealed value that no key opens (a wrong or lost ENCRYPTION_KEYS_FILE)."""


def make_keys_file(path: Path) -> None:
    """A new file with one key, readable by its owner only; an existing file is left alone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as file:
        file.write(Fernet.generate_key() + b"\n")


class Sealer:
    """Seals and opens short secrets with the keys of one file (read on first use)."""

    def __init__(self, keys_file: Path, *, create: bool) -> None:
        self.keys_file = keys_file
        self.create = create
        self._fernet: MultiFernet | None = None

    def _keys(self) -> MultiFernet:
        if self._fernet is None:
            if self.create and not self.keys_file.exists():
                make_keys_file(self.keys_file)
            lines = self.keys_file.read_text().splitlines()
            keys = [Fernet(line.strip()) for line in lines if line.strip() and not line.startswith("#")]
            if not keys:
                raise ValueError(f"{self.keys_file} holds no key")
            self._fernet = MultiFernet(keys)
        return self._fernet

    def check(self) -> None:
        """Fail now (at start) if the keys cannot be read."""
        self._keys()

    def seal(self, secret: str) -> str:
        return PREFIX + self._keys().encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        if not is_sealed(sealed):
            raise SealBroken("the value is not sealed")
        try:
            return self._keys().decrypt(sealed[len(PREFIX) :].encode()).decode()
        except InvalidToken as error:
            raise SealBroken("no key in the keys file opens this value") from error


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)
