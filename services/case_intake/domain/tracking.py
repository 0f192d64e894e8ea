"""How a case is followed without an account: a tracking code read aloud over the phone, and the filer key that
lets an anonymous filer act on it (stored only as its hash).

A code is `SS-` and twelve characters of Crockford's base32 in groups of four (`SS-7KQ3-M9XD-2PWA`): 60 random
bits from `secrets`, so that guessing one is hopeless. Read back, case does not matter, O is 0 and I or L is 1,
spaces, hyphens and full-width forms are ignored. Codes of the first form (`SS-2611-48213`, five digits a
month) keep working.
"""

import hashlib
import hmac
import re
import secrets
import unicodedata

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: the digits and the letters without I, L, O and U."""
CODE_CHARACTERS = 12
CODE_BITS = CODE_CHARACTERS * 5
CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
SEPARATORS = re.compile(r"[\s\-_.]+")
LEGACY = re.compile(r"^[0-9]{9}$")
CURRENT = re.compile(f"^[{CROCKFORD}]{{{CODE_CHARACTERS}}}$")
LONGEST_INPUT = 40
"""Anything longer is not a code (nor worth reading)."""


def new_tracking_code() -> str:
    """A new code: e.g. SS-7KQ3-M9XD-2PWA."""
    bits = secrets.randbits(CODE_BITS)  # one draw of 60 bits, five a character (not twelve draws)
    body = "".join(CROCKFORD[(bits >> shift) & 31] for shift in range(0, CODE_BITS, 5))
    return "SS-" + "-".join(body[index : index + 4] for index in range(0, CODE_CHARACTERS, 4))


def normalise_code(raw: str | None) -> str | None:
    """The stored form of a code as someone typed or read it, or None if it cannot be one.

    `ss 7kq3 m9xd 2pwa`, `SS-7KQ3-M9XD-2PWA` and `7KQ3M9XD2PWA` are one code; `SS-26I1-4B213` is the old
    `SS-2611-48213` only if every character is a digit once O, I and L are read as 0, 1 and 1."""
    if not raw or len(raw) > LONGEST_INPUT:
        return None
    text = SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()  # NFKC: full-width letters, as IMEs type
    for body in (text[2:], text) if text.startswith("SS") else (text,):
        body = body.translate(CONFUSABLE)
        if LEGACY.match(body):
            return f"SS-{body[:4]}-{body[4:]}"
        if CURRENT.match(body):
            return "SS-" + "-".join(body[index : index + 4] for index in range(0, CODE_CHARACTERS, 4))
    return None


def new_filer_key() -> str:
    return secrets.token_urlsafe(24)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(stored_hash: str | None, key: str | None) -> bool:
    """Does `key` open the case whose filer key hash is `stored_hash` (compared in constant time)?"""
    return bool(key and stored_hash and hmac.compare_digest(stored_hash, hash_key(key)))
