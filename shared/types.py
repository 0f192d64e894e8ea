"""Input types that refuse what breaks databases: NUL characters, over-long strings, ids out of range."""

from datetime import date
from typing import Annotated

from fastapi import Header
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


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


def text(max_length: int, min_length: int = 0) -> type[str]:
    """A string of bounded length, surrounding whitespace stripped, without NUL."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
        AfterValidator(_no_surrogates),
    ]


Name = text(120, 1)
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
EntityId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{8,100}$")]
Limit = Annotated[int, Field(ge=1, le=200)]
Offset = Annotated[int, Field(ge=0, le=1_000_000)]
SmallInt = Annotated[int, Field(ge=0, le=2_147_483_647)]
CivilDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, description="WGS 84 latitude")]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, description="WGS 84 longitude")]


class LatLon(BaseModel):
    """A place on the map in WGS 84 degrees, e.g. from the phone's GPS."""

    model_config = ConfigDict(extra="forbid")
    lat: Latitude
    lon: Longitude


IdempotencyKeyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_.:-]{8,100}$",
        description="A client-made key (e.g. a UUID): repeating it with the same body returns the first answer",
    ),
]
"""Use as `key: IdempotencyKeyHeader = None` (a plain string schema; a None default is not validated)."""
