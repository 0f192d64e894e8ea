"""Pure checks of the money type and the fund pool caps (no database, no network)."""

import pytest
from pydantic import TypeAdapter, ValidationError

from devstack.demo.stations import demo_stations
from services.micro_funding.domain.pools import check_caps
from services.micro_funding.schemas import FundPoolCreate, Money
from shared.errors import Unprocessable

MONEY = TypeAdapter(Money)


def test_decimal_string_becomes_fen() -> None:
    assert MONEY.validate_python("1234.50") == 123450
    assert MONEY.validate_python("0.01") == 1
    assert MONEY.validate_python("999999999999.99") == 99999999999999


@pytest.mark.parametrize(
    ("text", "shown"),
    [("1234.50", "1234.50"), ("1234.5", "1234.50"), ("7", "7.00"), ("0", "0.00"), ("2000000.00", "2000000.00")],
)
def test_round_trip_always_shows_two_decimals(text: str, shown: str) -> None:
    assert MONEY.dump_python(MONEY.validate_python(text), mode="json") == shown
    assert MONEY.dump_json(MONEY.validate_python(text)) == f'"{shown}"'.encode()


@pytest.mark.parametrize(
    "value",
    ["-1", "1.234", "1e5", "1234567890123", " 1.00", "1,00", "", "NaN", "Infinity", "1.", ".5", 1234, 12.5, None, True],
)
def test_bad_amounts_are_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        MONEY.validate_python(value)


def test_create_schema_keeps_fen_and_writes_yuan() -> None:
    body = FundPoolCreate.model_validate(
        {
            "year": 2025,
            "name": "民生微实事专项资金",
            "total": "2000000.00",
            "service_cap": "200000",
            "goods_cap": "200000.0",
            "works_cap": "500000",
        }
    )
    assert (body.total, body.works_cap) == (200000000, 50000000)
    assert body.model_dump(mode="json")["goods_cap"] == "200000.00"


def test_caps_within_total_pass() -> None:
    check_caps(200000000, {"service_cap": 20000000, "goods_cap": 20000000, "works_cap": 200000000})


def test_cap_above_total_is_refused() -> None:
    with pytest.raises(Unprocessable, match="works_cap"):
        check_caps(100, {"service_cap": 100, "goods_cap": 0, "works_cap": 101})


def test_empty_pool_is_refused() -> None:
    with pytest.raises(Unprocessable):
        check_caps(0, {"service_cap": 0, "goods_cap": 0, "works_cap": 0})


def test_demo_stations_are_one_plus_four_plus_n() -> None:
    tiers = [station.tier for station in demo_stations()]
    assert (tiers.count("main"), tiers.count("township"), tiers.count("area") >= 3) == (1, 4, True)
    assert len({station.code for station in demo_stations()}) == len(tiers)
