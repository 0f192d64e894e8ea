"""Input types that refuse what breaks databases: NUL characters, over-long strings, ids out of range."""

from datetime import date
from typing import Annotated, Any

from fastapi import Header
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _no_surrogates(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("must be valid UTF-8 text") from error
    return value


def _not_true_or_false(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


def _bounded(kind: type, low: float, high: float, **field: Any) -> Any:
    """A JSON number from `low` to `high`: true and false are not 1 and 0 (as pydantic would have them). The
    bounds come before the check, so the schema keeps its minimum and maximum."""
    return Annotated[kind, Field(ge=low, le=high, **field), BeforeValidator(_not_true_or_false)]


def integer(low: int, high: int) -> type[int]:
    """A whole number from `low` to `high`, as JSON's integer: 5.0 is 5, true is not 1."""
    return _bounded(int, low, high)  # type: ignore[no-any-return]


def text(max_length: int, min_length: int = 0) -> type[str]:
    """A string of bounded length, surrounding whitespace stripped, without NUL."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
        AfterValidator(_no_surrogates),
        Field(json_schema_extra={"pattern": _text_pattern(min_length)}),
    ]


def _text_pattern(min_length: int) -> str:
    """What `text` admits, told to clients: no NUL, and `min_length` characters once the ends are stripped."""
    inner, edge = r"[^\x00]", r"[^\x00\s\u0085]"
    if min_length == 0:
        return rf"^{inner}*$"
    if min_length == 1:
        return rf"^{inner}*{edge}{inner}*$"
    return rf"^\s*{edge}{inner}{{{min_length - 2},}}{edge}\s*$"


def _distinct(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("must not name an item twice")
    return values


def distinct(item: Any, max_length: int) -> Any:
    """A list of at most `max_length` items, none of them twice (`uniqueItems` in the schema)."""
    return Annotated[
        list[item],
        Field(max_length=max_length, json_schema_extra={"uniqueItems": True}),
        AfterValidator(_distinct),
    ]


Name = text(120, 1)
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
EntityId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
ContactPhone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{5,15}$")]
"""A number to call a villager back on, as the PWA sends it: digits only, a leading + allowed."""
_CROCKFORD = "[0-9A-HJKMNP-TV-Z]{4}"
TRACKING_CODE_PATTERN = rf"^SS-(?:[0-9]{{4}}-[0-9]{{5}}|{_CROCKFORD}-{_CROCKFORD}-{_CROCKFORD})$"
TrackingCodeText = Annotated[str, StringConstraints(pattern=TRACKING_CODE_PATTERN)]
"""A case's tracking code as case intake writes it, what a filer without an account follows it by: SS- and 12
characters of Crockford's base32 in groups of four (SS-7KQ3-M9XD-2PWA), or the first form SS-YYMM-NNNNN."""
Limit = integer(1, 200)
Offset = integer(0, 1_000_000)
SmallInt = integer(0, 2_147_483_647)
CIVIL_DATE_PATTERN = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
CivilDate = Annotated[
    date,
    Field(ge=date(2000, 1, 1), le=date(2100, 12, 31), json_schema_extra={"pattern": CIVIL_DATE_PATTERN}),
]
"""A calendar day from 2000 to 2100; the pattern tells clients the range (JSON Schema has no bounds for dates)."""
Latitude = _bounded(float, -90, 90, allow_inf_nan=False, description="WGS 84 latitude")
Longitude = _bounded(float, -180, 180, allow_inf_nan=False, description="WGS 84 longitude")


class LatLon(BaseModel):
    """A place on the map in WGS 84 degrees, e.g. from the phone's GPS."""

    model_config = ConfigDict(extra="forbid")
    lat: Latitude
    lon: Longitude


IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,100}$"
IdempotencyKeyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="A client-made key (e.g. a UUID): repeating it with the same body returns the first answer",
    ),
]
"""Use as `key: IdempotencyKeyHeader = None` (a plain string schema; a None default is not validated)."""
