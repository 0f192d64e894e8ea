"""Personal data on its way to a screen, a public page or an event: the one definition of masking.

- `mask_phone`: the masked contact shown to those who may know a phone exists but not read it
  (`13812345678` -> `138****5678`).
- `mask_name`: the first character and a star for every other one, at least one star (`王` -> `王*`), so that
  a one-character name is never shown whole.
- `redact`: free text that goes public or into an event (a case's description on the board, a timeline note,
  a reception record's summary): every run of seven or more digits, with the spaces and dashes inside it
  (phone, ID card and bank numbers), becomes stars of the same length. Shorter numbers ("3组", "12户",
  "2026年") stay.
- `normalise_phone` / `phone_forms`: one number, however it was written (`+86 138-1234-5678`), and the forms a
  service may have stored it in, so that an erasure finds every copy.
- `scrub` / `scrub_json` / `phone_pattern` / `ERASED_WORDS`: an erased person (PIPL) taken out of a text others
  wrote about them (their number, however it was typed, becomes stars; their name 某某), and what stands where
  their own words were.

Services never write their own: two copies that disagree are a privacy bug.
"""

import re
from collections.abc import Iterable
from typing import Any

_DIGIT_RUN = re.compile(r"(?:\d[\s-]?){6,}\d")


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def mask_name(name: str | None) -> str | None:
    return name[0] + "*" * max(len(name) - 1, 1) if name else None


def redact(text: str) -> str:
    """Mask every run of 7 or more digits (phone and identity numbers) in text meant for others to read."""
    return _DIGIT_RUN.sub(lambda match: "*" * len(match.group()), text)


def normalise_phone(phone: str) -> str:
    """The digits alone; a Chinese mobile number written with +86 loses the country code."""
    digits = re.sub(r"[\s-]", "", phone)
    if re.fullmatch(r"\+86[0-9]{11}", digits):
        digits = digits[3:]
    return digits


def phone_forms(phone: str) -> list[str]:
    """Every form a stored copy of `phone` may take (as typed: with or without +86 / 86): what to look for."""
    digits = normalise_phone(phone)
    forms = {digits}
    if re.fullmatch(r"[0-9]{11}", digits):
        forms |= {"+86" + digits, "86" + digits}
    return sorted(forms)


ERASED_WORDS = "（应本人要求已删除）"
"""What stands where an erased person's own words were (a case's description, a booking's topic, an objection):
erased at their request. The fact that they spoke stays."""
NAME_MARK = "某某"
"""What stands where an erased person's name was in a text kept about them (the usual 某某 of anonymised records)."""
SHORTEST_NAME = 2
"""A name is looked for from two characters on: one character alone (a surname) would blank every word it is in."""
SHORTEST_NUMBER = 7
"""A number is looked for in free text from seven digits on (`redact`'s threshold): shorter ones match too much."""


def phone_pattern(phone: str) -> re.Pattern[str] | None:
    """`phone` anywhere in free text however it was typed: its digits with spaces or dashes between any of them,
    with or without +86 / 86 before a Chinese mobile number, never inside a longer run of digits. None for a
    number too short to look for."""
    digits = re.sub(r"\D", "", normalise_phone(phone))
    if len(digits) < SHORTEST_NUMBER:
        return None
    body = r"[\s-]?".join(digits)
    prefix = r"(?:\+?86[\s-]?)?" if len(digits) == 11 else ""
    return re.compile(rf"(?<!\d){prefix}{body}(?!\d)")


def scrub(text: str, names: Iterable[str] = (), phones: Iterable[str] = ()) -> str:
    """`text` without an erased person: each of `phones`, however it was typed (`phone_pattern`; a number too
    short for that, exactly as given), becomes stars of its length, and each of `names` becomes 某某 (the longest
    first, so a full name is not left half-replaced by a shorter one). Other numbers stay: a text meant for
    others goes through `redact` as well."""
    for phone in sorted(set(phones), key=len, reverse=True):
        pattern = phone_pattern(phone)
        if pattern is not None:
            text = pattern.sub(lambda match: "*" * len(match.group()), text)
        elif phone:
            text = text.replace(phone, "*" * len(phone))
    wanted = {name.strip() for name in names if len(name.strip()) >= SHORTEST_NAME}
    for name in sorted(wanted, key=len, reverse=True):
        text = text.replace(name, NAME_MARK)
    return text


def scrub_json(value: Any, names: Iterable[str] = (), phones: Iterable[str] = ()) -> Any:
    """`scrub` on every string inside a JSON value (a mediation's parties, a stored answer)."""
    if isinstance(value, str):
        return scrub(value, names, phones)
    if isinstance(value, list):
        return [scrub_json(item, names, phones) for item in value]
    if isinstance(value, dict):
        return {key: scrub_json(item, names, phones) for key, item in value.items()}
    return value
