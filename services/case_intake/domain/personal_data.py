"""What erasing a person (PIPL) means for a case's words, as plain rules: what takes the place of what was
removed, the person's phone number found in free text however it was typed, and which timeline steps hold the
person's own words.

The use cases are logic.personal_data (the erasure) and logic.retention (the sweep of finished cases)."""

import re
from typing import Any

from services.case_intake.domain.wording import sentence_of
from shared.privacy import normalise_phone

ERASED_DESCRIPTION = "（已应本人要求删除）Erased at the person's request."
"""A case's description once its filer was erased: the case keeps what the figures count, not their words."""
ERASED_ACTOR = "erased"
"""The timeline's actor of a step an erased account took (never a token's subject: those are account ids)."""
ERASED_NAME = "（已删除）"
"""What stands where the person's name was (a mediation party, a deputy's words), as the gateway writes it."""
RETURN_VISIT = "Return visit (回访)"
"""How a return visit's step begins (logic.lifecycle): staff recording the villager's own answer."""
VILLAGERS_WORDS = frozenset({"confirm", "withdraw"})
"""Steps whose words are the villager's whoever wrote them down: the rating's comment (staff record it on a
return visit) and the reason of a withdrawal (the office withdraws at the villager's request)."""
MIN_DIGITS = 7
"""A number shorter than this is not looked for in free text (shared.privacy.redact's threshold): too many
other numbers would match."""
MIN_NAME = 2
"""A one-character name (a surname alone) is not looked for in free text: it is part of too many words."""


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", normalise_phone(phone))


def last_digits(phone: str) -> str:
    """The database's first sieve: the number's last four digits, which the ways of typing it in groups (138
    1234 5678, 138-1234-5678) keep in one piece. A number split inside them is not found."""
    return _digits(phone)[-4:]


def phone_pattern(phone: str) -> re.Pattern[str] | None:
    """The number anywhere in free text: its digits with spaces or dashes between any of them, with or without
    +86 / 86 before a Chinese mobile number, not inside a longer run of digits. None for a number too short."""
    digits = _digits(phone)
    if len(digits) < MIN_DIGITS:
        return None
    body = r"[\s-]?".join(digits)
    prefix = r"(?:\+?86[\s-]?)?" if len(digits) == 11 else ""
    return re.compile(rf"(?<!\d){prefix}{body}(?!\d)")


def scrub(text: str, pattern: re.Pattern[str] | None, names: frozenset[str] = frozenset()) -> str:
    """`text` without the number (stars of the same length, as `redact` masks) and without the names."""
    if pattern is not None:
        text = pattern.sub(lambda match: "*" * len(match.group()), text)
    for name in sorted(names, key=len, reverse=True):
        if len(name) >= MIN_NAME:
            text = text.replace(name, ERASED_NAME)
    return text


def scrub_json(value: Any, pattern: re.Pattern[str] | None, names: frozenset[str] = frozenset()) -> Any:
    """`scrub` on every string inside a JSON value (a mediation's parties, its agreement)."""
    if isinstance(value, str):
        return scrub(value, pattern, names)
    if isinstance(value, list):
        return [scrub_json(item, pattern, names) for item in value]
    if isinstance(value, dict):
        return {key: scrub_json(item, pattern, names) for key, item in value.items()}
    return value


def holds_their_words(action: str, actor_role: str, reason: str) -> bool:
    """Does this step of an erased person's case hold the person's own words? Their own steps (the villager's:
    a filer's steps, by account or by filer key, but not another villager's "me too"), and the steps where staff
    wrote down what the villager said."""
    if actor_role == "villager":
        return action != "support"
    return action in VILLAGERS_WORDS or reason.startswith(RETURN_VISIT)


def without_words(reason: str, note: str | None) -> str:
    """A step's reason without the person's words `note`, which wording.with_note put after ": " (perhaps cut
    short): the service's sentence alone, "rated it: satisfied" and all. Without a note, the reason holds no
    one's words. Should the words not be found where they belong, the reason is cut at its first ": "."""
    if not note:
        return reason
    start = reason.find(": ")
    while start != -1:
        tail = reason[start + 2 :]
        if tail and note.startswith(tail):
            return reason[:start]
        start = reason.find(": ", start + 1)
    return sentence_of(reason)
