"""Fund pool schemas. Money travels as a string of yuan with two decimals and is kept as integer fen."""

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, WithJsonSchema

from shared.types import Name

MONEY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
_MONEY_SCHEMA = {
    "type": "string",
    "pattern": MONEY_PATTERN,
    "examples": ["2000000.00"],
    "description": "An amount in yuan with at most two decimals (fen).",
}


def to_fen(value: object) -> int:
    """Turn "1234.50" into 123450; refuse anything but a non-negative decimal string to the fen."""
    if not isinstance(value, str) or not re.fullmatch(MONEY_PATTERN, value):
        raise ValueError('must be a string of yuan with at most two decimals, such as "1234.50"')
    return int(Decimal(value) * 100)


def format_fen(fen: int) -> str:
    """123450 -> "1234.50"."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


_AS_YUAN = PlainSerializer(format_fen, return_type=str)
Money = Annotated[int, PlainValidator(to_fen), _AS_YUAN, WithJsonSchema(_MONEY_SCHEMA)]
"""Money in a request: a decimal string in, integer fen in Python, the two-decimal string out."""
StoredMoney = Annotated[int, _AS_YUAN, WithJsonSchema(_MONEY_SCHEMA)]
"""Money read from storage: integer fen in, the two-decimal string out."""
Year = Annotated[int, Field(ge=2000, le=2100)]


class FundPoolCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: Year
    name: Name
    total: Money
    service_cap: Money
    goods_cap: Money
    works_cap: Money


class FundPoolRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    year: int
    name: str
    total: StoredMoney = Field(validation_alias="total_fen")
    service_cap: StoredMoney = Field(validation_alias="service_cap_fen")
    goods_cap: StoredMoney = Field(validation_alias="goods_cap_fen")
    works_cap: StoredMoney = Field(validation_alias="works_cap_fen")
    is_demo: bool
    created_at: datetime
