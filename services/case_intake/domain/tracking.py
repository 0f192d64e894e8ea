"""How a case is followed without an account: a tracking code read aloud over the phone, and the filer key that
lets an anonymous filer act on it (stored only as its hash)."""

import hashlib
import hmac
import secrets
from datetime import datetime


def new_tracking_code(now: datetime) -> str:
    """Short and readable aloud over the phone, e.g. SS-2611-48213."""
    return f"SS-{now:%y%m}-{secrets.randbelow(100_000):05d}"


def new_filer_key() -> str:
    return secrets.token_urlsafe(24)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(stored_hash: str | None, key: str | None) -> bool:
    """Does `key` open the case whose filer key hash is `stored_hash` (compared in constant time)?"""
    return bool(key and stored_hash and hmac.compare_digest(stored_hash, hash_key(key)))
