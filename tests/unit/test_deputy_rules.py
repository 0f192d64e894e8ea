"""Deputy rules without I/O: who sees what, masking, China days, what an event or entry counts towards."""

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.deputy.api.access import view_of
from services.deputy.domain import duty, five_ones, periods, statistics
from services.deputy.schemas import EntryCreate
from shared.auth import Principal, Role
from shared.messaging.catalogue import CaseAccepted, CaseClosed, CaseReferred, CaseResolved
from shared.privacy import mask_name, mask_phone

DEPUTY = "6f1c8a52-7d0e-4c5b-9a37-2f4e1b9d0c11"


def principal(*roles: Role, deputy_id: str | None = None) -> Principal:
    return Principal(subject="someone", roles=frozenset(roles), deputy_id=deputy_id)


@pytest.mark.parametrize(
    ("caller", "single", "view"),
    [
        (None, True, "public"),
        (principal(Role.villager), True, "public"),
        (principal(Role.station_staff), True, "masked"),
        (principal(Role.agency_officer), True, "masked"),
        (principal(Role.deputy, deputy_id="another"), True, "masked"),
        (principal(Role.deputy, deputy_id=DEPUTY), True, "full"),
        (principal(Role.npc_office), True, "full"),
        (principal(Role.npc_office), False, "masked"),  # lists are masked, even for the office
        (principal(Role.villager, deputy_id=DEPUTY), True, "public"),  # a deputy id without the role counts nothing
    ],
)
def test_who_sees_a_deputys_contact(caller, single, view):
    assert view_of(caller, DEPUTY, single=single) == view


def test_phones_and_households_are_masked():
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("12345") == "*****"
    assert mask_phone(None) is None
    assert mask_name("王某某户") == "王***"
    assert mask_name("王") == "王*"  # a one-character name is never shown whole


def test_a_range_of_days_is_china_days_both_included():
    start, end = periods.day_range(date(2026, 3, 1), date(2026, 3, 31))
    assert start == datetime(2026, 2, 28, 16, tzinfo=UTC) and end == datetime(2026, 3, 31, 16, tzinfo=UTC)
    assert periods.year_range(2026) == periods.day_range(date(2026, 1, 1), date(2026, 12, 31))


def step(kind: type, case_kind: str = "request"):  # type: ignore[no-untyped-def]
    return kind(
        case_id="c",
        tracking_code="SS-2611-00001",
        grid_id="g",
        kind=case_kind,
        category="water",
        from_status="a",
        to_status="b",
        deputy_ids=["d1", "d2"],
        at=datetime.now(UTC),
    )


def test_what_a_case_step_puts_on_the_record():
    assert duty.from_transition(step(CaseAccepted)) == ("case_accepted", None, None)
    assert duty.from_transition(step(CaseReferred)) == ("case_referred", None, None)
    assert duty.from_transition(step(CaseResolved)) == ("case_resolved", "issues_resolved", "livelihood")
    assert duty.from_transition(step(CaseResolved, "dispute")) == ("case_resolved", "issues_resolved", "dispute")
    assert duty.from_transition(step(CaseClosed)) is None
    assert duty.actors(step(CaseAccepted)) == ["d1", "d2"]  # no actor named: every routed deputy


def test_every_kind_has_default_roles_and_entries_count_where_they_should():
    assert {kind for kind in duty.DEFAULT_ROLES} >= {"field_visit", "household_visit", "dispute_mediated"}
    assert duty.ENTRY_FIVE_ONE["research"] == "inspection" and duty.ENTRY_METRIC["reception"] == "visitors"
    # a dispute and a household come from events and pairs; a suggestion from the office accepting one
    assert set(duty.ENTRY_FIVE_ONE.values()) | {"dispute", "household", "suggestion"} == set(five_ones.FIVE_ONES)
    assert "suggestion" not in duty.ENTRY_FIVE_ONE and "suggestion" not in duty.ENTRY_METRIC


def test_facts_are_tallied_per_place_and_visitors_summed():
    rows = statistics.tally(
        [("t1", "visitors", 2, 17), ("t1", "suggestions", 3, 3), (None, "issues_resolved", 1, 1)],
        [("t1", 4)],
    )
    assert rows["t1"]["visitors"] == 17 and rows["t1"]["suggestions"] == 3
    assert rows["t1"]["households_supported"] == 4 and rows[None]["issues_resolved"] == 1


def entry(**changes):  # type: ignore[no-untyped-def]
    return EntryCreate.model_validate(
        {"kind": "field_visit", "occurred_at": "2026-03-09T09:30:00+08:00", "summary": "走访", **changes}
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"roles": ["mediator", "mediator"]},
        {"roles": ["chairman"]},
        {"occurred_at": "2026-03-09T09:30:00"},
        {"occurred_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
        {"location": {"lat": 91, "lon": 0}},
        {"photos": ["x"] * 10},
        {"summary": ""},
        {"notes": "a\x00b"},
    ],
)
def test_bad_entries_are_refused(changes):
    with pytest.raises(ValidationError):
        entry(**changes)


def test_a_good_entry_keeps_its_roles_and_time():
    made = entry(roles=["informant", "servant"], location={"lat": 27.9, "lon": 112.5})
    assert [str(role) for role in made.roles] == ["informant", "servant"]
    assert made.occurred_at.utcoffset() == timedelta(hours=8)


def test_the_public_reads_no_household_visit_and_no_phone_or_old_tracking_code_in_a_summary() -> None:
    public_summary = duty.public_summary
    assert public_summary("household_visit", "看望王某某户") == ""
    assert public_summary("field_visit", "走访第1组，电话 13912345678") == "走访第1组，电话 ***********"
    assert "49897" not in public_summary("case_accepted", "SS-2612-49897 water")
    assert public_summary("dispute_mediated", "调解协议达成") == "调解协议达成"


def test_figures_roll_up_from_groups_to_their_village_and_township_once_each():
    def counted(**values: int) -> dict[str, int]:
        return {**statistics.empty(), **values}

    places = {
        "T": ("township", "T", None),
        "V": ("village", "T", "V"),
        "G1": ("group", "T", "V"),
        "G2": ("group", "T", "V"),
    }
    per_grid = {"G1": counted(suggestions=2), "G2": counted(visitors=5), "V": counted(suggestions=1)}
    rolled = statistics.roll_up({**per_grid, None: counted(suggestions=9)}, places)
    assert (rolled["G1"]["suggestions"], rolled["G2"]["visitors"]) == (2, 5)
    assert (rolled["V"]["suggestions"], rolled["V"]["visitors"]) == (3, 5)  # its groups' and its own
    assert (rolled["T"]["suggestions"], rolled["T"]["visitors"]) == (3, 5)  # not counted twice, nor the unknown
    assert "unknown" not in rolled and None not in rolled
