"""Money travels as a string of yuan with two decimals and is kept as integer fen: never a float.

"1234.50" in, 123450 in Python and the database, "1234.50" out (events and answers alike).
"""

import re
from decimal import Decimal

MONEY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
POSITIVE_MONEY_PATTERN = r"^([1-9][0-9]{0,11}(\.[0-9]{1,2})?|0\.([1-9][0-9]?|0[1-9]))$"


def to_fen(value: object, pattern: str = MONEY_PATTERN) -> int:
    """Turn "1234.50" into 123450; refuse anything but a non-negative decimal string to the fen."""
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise ValueError('must be a string of yuan with at most two decimals, such as "1234.50"')
    return int(Decimal(value) * 100)


def to_positive_fen(value: object) -> int:
    """As `to_fen`, for amounts that move money: more than zero."""
    return to_fen(value, POSITIVE_MONEY_PATTERN)


def format_fen(fen: int) -> str:
    """123450 -> "1234.50"."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"
