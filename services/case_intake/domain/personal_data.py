"""What erasing a person (PIPL) means for a case's words, as plain rules: which timeline steps hold the person's
own words, and the database's first sieve for their number (the scrubbing itself is shared.privacy's `scrub`).

The use cases are logic.personal_data (the erasure) and logic.retention (the sweep of finished cases)."""

import re

from services.case_intake.domain.wording import sentence_of
from shared.privacy import normalise_phone

ERASED_ACTOR = "erased"
"""The timeline's actor of a step an erased account took (never a token's subject: those are account ids)."""
RETURN_VISIT = "Return visit (回访)"
"""How a return visit's step begins (logic.lifecycle): staff recording the villager's own answer."""
VILLAGERS_WORDS = frozenset({"confirm", "withdraw"})
"""Steps whose words are the villager's whoever wrote them down: the rating's comment (staff record it on a
return visit) and the reason of a withdrawal (the office withdraws at the villager's request)."""


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", normalise_phone(phone))


def last_digits(phone: str) -> str:
    """The database's first sieve: the number's last four digits, which the ways of typing it in groups (138
    1234 5678, 138-1234-5678) keep in one piece. A number split inside them is not found."""
    return _digits(phone)[-4:]


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
