"""The words the services say to people, in the caller's language: Chinese (zh-CN, the default) or English.

Why this shape:
- The English sentence in the code is the message id (gettext's convention): the code stays readable, a missing
  translation falls back to English instead of an empty string, and `tests/unit/test_messages.py` walks every
  message the code can say and fails when one lacks its Chinese.
- Sentences with values are templates in braces (`"No booking {booking_id}."`) with their values kept apart
  (`params`), so that each language puts them where its grammar wants them.
- The catalogues are gettext `.po` files under `shared/locale/<lang>/LC_MESSAGES/messages.po`, read once with
  Babel when first needed: no compile step, so a fresh clone after `make install` answers in Chinese.
- The language is chosen per request from Accept-Language (`language`) and kept in `language_var` while the
  request runs (set by `shared.service.RequestContextMiddleware`), so a view or an error handler deep down
  renders in the caller's language without passing it through every call.
"""

import re
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, Literal

from babel.messages.pofile import read_po

Language = Literal["zh", "en"]
LOCALE_DIR = Path(__file__).parent / "locale"
CATALOGUES: dict[Language, str] = {"zh": "zh_CN"}
"""The catalogue of each language that has one; English is the message ids themselves."""
DOMAIN = "messages"

language_var: ContextVar[Language] = ContextVar("language", default="zh")
"""The language of the request being answered (Chinese outside a request: the office's language)."""

_LANGUAGE_RANGE = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*$")


def language(accept_language: str | None) -> Language:
    """English when Accept-Language rates English above Chinese (or names English and not Chinese); else Chinese.

    Chinese is the office's and the villagers' language and the default: an absent, empty or unreadable header
    gives Chinese. At most 20 ranges are read (a long header costs nothing)."""
    best: dict[str, float] = {}
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        match = _LANGUAGE_RANGE.match(part)
        if not match:
            continue
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        primary = match.group(1).lower()
        if primary in ("zh", "en") and weight > 0:
            # an earlier range wins a tie: subtract a little for the position
            best[primary] = max(best.get(primary, -1.0), weight - position * 1e-6)
    return "en" if best.get("en", -1.0) > best.get("zh", -1.0) else "zh"


class Code(str):
    """A code shown to people by its name (a status, a category): equal to the code itself (English and logs show
    the code, as before), with the message id of its name (`<kind>:<code>`, e.g. `session:cancelled`), so that
    one code read in two services ("accepted": a case 已受理, a project 已验收) has its own name in each."""

    message_id: str

    def __new__(cls, kind: str, value: str, english: str | None = None) -> "Code":
        made = super().__new__(cls, english or value)
        made.message_id = f"{kind}:{value}"
        return made


def code(kind: str, value: str, english: str | None = None) -> Code:
    """`value` (a status) as a value of a message, said by its name in the catalogue (`<kind>:<value>`); in
    English as `english` (the code itself when not given)."""
    return Code(kind, str(value), english)


def catalogue_path(lang: Language) -> Path:
    return LOCALE_DIR / CATALOGUES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogue(lang: Language) -> Mapping[str, str]:
    """message id → translation, from the language's .po file (fuzzy and empty entries left out)."""
    if lang not in CATALOGUES:
        return {}
    with catalogue_path(lang).open("rb") as file:
        po = read_po(file, locale=CATALOGUES[lang])
    return {
        str(message.id): str(message.string)
        for message in po
        if message.id and isinstance(message.string, str) and message.string and not message.fuzzy
    }


def has_translation(message: str, lang: Language = "zh") -> bool:
    return message in catalogue(lang)


def _format(template: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return template
    try:
        return template.format_map({key: "" if value is None else value for key, value in params.items()})
    except (KeyError, IndexError, ValueError):
        return template  # a translation that names a value the code does not give: its words without values


def translate(message: str, params: Mapping[str, Any] | None = None, lang: Language | None = None) -> str:
    """`message` (an English template) in `lang` (the request's language when not given), its values filled in.

    Values that are themselves message ids (a phrase marked with `N_`) or `Code`s (a status) are translated too,
    so "The session is {status}." reads whole in Chinese."""
    lang = lang or language_var.get()
    words = catalogue(lang)
    values = {key: _value(value, words) for key, value in (params or {}).items()}
    return _format(words.get(message, message), values)


def _value(value: Any, words: Mapping[str, str]) -> Any:
    if isinstance(value, Code):
        return words.get(value.message_id, str(value))
    return words.get(value, value) if isinstance(value, str) else value


def english(message: str, params: Mapping[str, Any] | None = None) -> str:
    """The template with its values, in English: what logs, events and stored sentences carry."""
    return _format(message, params)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Marks words said later, elsewhere (a constant, a returned reason): `devstack.messages` finds them, and
    they are translated where they are said. Returns `message` as it is (gettext_noop)."""
    return message
