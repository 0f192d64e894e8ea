"""The columns of an import and the readers of its cells: what a service says of its sheet (`Sheet`, `Column`:
the headings in Chinese and English, which are required, what the template says of each) and how a cell's
value becomes a typed value (`text`, `code`, `integer`, `number`, `boolean`, `day`, `choice`) or a `CellError`
that the import's report shows beside the row and column, in the user's language.

Excel keeps what looks like a number as a number: a code or a phone number may come as 430382001.0; a date as
a date, or as the text someone typed (2026/1/5, 2026年1月5日). The readers take all of these."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.sheet_words import CELL, Language, say

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CellError(ValueError):
    """A cell whose value cannot be read as its column's kind: `key` names the message (shared.sheet_words)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self, language: Language) -> str:
        return say(CELL, self.key, language, **self.params)


# --- the columns of a sheet -------------------------------------------------------------------------------


def heading_key(text: str) -> str:
    """A heading as compared: full-width folded, no spaces, no `*`, no bracketed unit, lower case."""
    folded = unicodedata.normalize("NFKC", str(text)).lower()
    folded = re.sub(r"\(.*?\)|\[.*?\]", "", folded)
    return re.sub(r"[\s*:_/、-]+", "", folded)


@dataclass(frozen=True)
class Column:
    """One column of an import: `key` (what the service calls it), its headings in both languages (either
    is accepted, and `aliases` too), whether the file must have it, and what the template says of it."""

    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    note_zh: str = ""
    note_en: str = ""
    as_text: bool = False
    choices: tuple[str, ...] = ()
    width: int = 14

    def heading(self, language: Language) -> str:
        return self.zh if language == "zh-CN" else self.en

    def names(self) -> set[str]:
        return {heading_key(name) for name in (self.zh, self.en, self.key, *self.aliases)}


@dataclass(frozen=True)
class Sheet:
    """What one import reads: its columns, in the template's order."""

    kind: str
    title_zh: str
    title_en: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)


# --- cells ------------------------------------------------------------------------------------------------


def _folded(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def text(value: Any, max_length: int, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise CellError("required")
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = str(value).strip()
    if _CONTROL.search(result):
        raise CellError("control")
    if len(result) > max_length:
        raise CellError("too_long", max=max_length)
    return result


def code(value: Any, *, required: bool = False) -> str | None:
    """A code as Excel may have kept it: text, or a number (430382001.0 is 430382001)."""
    result = text(value, 40, required=required)
    if result is not None and not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", result):
        raise CellError("not_code")
    return result


def integer(value: Any, low: int = 0, high: int = 2_147_483_647) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError("not_integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError("not_integer")
        value = int(value)
    if isinstance(value, str):
        digits = _folded(value).replace(",", "")
        if not re.fullmatch(r"-?[0-9]{1,12}", digits):
            raise CellError("not_integer")
        value = int(digits)
    if not isinstance(value, int) or not low <= value <= high:
        raise CellError("out_of_range", low=low, high=high)
    return value


def number(value: Any, low: float, high: float) -> float | None:
    if value is None:
        return None
    try:
        result = float(_folded(value)) if isinstance(value, str) else float(value)
    except (TypeError, ValueError) as error:
        raise CellError("not_number") from error
    if isinstance(value, bool) or result != result or not low <= result <= high:
        raise CellError("out_of_range", low=low, high=high)
    return result


TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "对"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "✗", "不是"}


def boolean(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    word = _folded(value).lower()
    if isinstance(value, int | float):
        word = str(int(value)) if float(value).is_integer() else word
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError("not_boolean")


_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")


def day(value: Any, *, required: bool = False) -> date | None:
    """A calendar day: a date cell, or text as 2026-01-05, 2026/1/5, 2026.1.5 or 2026年1月5日."""
    if value is None:
        if required:
            raise CellError("required")
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        result = value
    else:
        found = _DAY.fullmatch(_folded(value))
        try:
            result = date(*(int(part) for part in found.groups())) if found else None
        except ValueError:
            result = None
        if result is None:
            raise CellError("not_date")
    if not date(2000, 1, 1) <= result <= date(2100, 12, 31):
        raise CellError("not_date")
    return result


def choice(value: Any, options: dict[str, str], shown: tuple[str, ...]) -> str | None:
    """One of `options` (a label, folded → the value); `shown` are the labels the message lists."""
    if value is None:
        return None
    found = options.get(heading_key(value))
    if found is None:
        raise CellError("not_choice", options="、".join(shown))
    return found


def choices(mapping: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """{value: labels} → {folded label: value} (the value itself is a label too)."""
    return {heading_key(label): value for value, labels in mapping.items() for label in (value, *labels)}
