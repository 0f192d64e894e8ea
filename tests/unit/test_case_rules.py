"""The case rules without I/O: the transition table, working days, and what goes public (the rates, computed by
the database, are in tests/integration/test_case_statistics.py)."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.case_intake.domain.lifecycle import FINAL, TRANSITIONS, Actor, plan
from services.case_intake.domain.out_of_scope import OUT_OF_SCOPE, where_to_go
from services.case_intake.domain.tracking import CODE_BITS, CROCKFORD, new_tracking_code, normalise_code
from services.case_intake.domain.workdays import WorkCalendar
from services.case_intake.policy import CasePolicy
from services.case_intake.schemas import CaseCreate, CaseStatus, OutOfScope
from shared.clock import CHINA
from shared.errors import Conflict, Forbidden
from shared.privacy import mask_name, redact
from shared.types import TRACKING_CODE_PATTERN

# The autumn of 2026: Mid-Autumn (25-27 Sep) and National Day (1-7 Oct) off; Sunday 20 Sep and
# Saturday 10 Oct are working days (调休).
AUTUMN = WorkCalendar(
    {
        **{date(2026, 9, day): False for day in (25, 26, 27)},
        **{date(2026, 10, day): False for day in range(1, 8)},
        date(2026, 9, 20): True,
        date(2026, 10, 10): True,
    }
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA)


def test_a_day_to_accept_on_a_friday_runs_over_the_weekend():
    assert AUTUMN.add_working_days(local(2026, 11, 27, 15), 1) == local(2026, 12, 1, 0)


def test_a_day_to_accept_before_mid_autumn_runs_over_the_holiday_and_the_weekend():
    assert AUTUMN.add_working_days(local(2026, 9, 24, 10), 1) == local(2026, 9, 29, 0)


def test_five_days_to_resolve_skip_national_day_and_the_working_saturday_counts():
    due = AUTUMN.add_working_days(local(2026, 9, 24, 10), 5)
    assert due == local(2026, 10, 10, 0)  # 28, 29, 30 Sep, 8, 9 Oct: the end of Friday 9 October
    assert AUTUMN.due_day(due) == date(2026, 10, 9)
    assert AUTUMN.after_deadline(due, 1) == local(2026, 10, 11, 0)  # Saturday 10 October is a working day


def test_a_sunday_made_a_working_day_counts():
    assert AUTUMN.add_working_days(local(2026, 9, 19, 9), 1) == local(2026, 9, 21, 0)


@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)),
    days=st.integers(1, 25),
)
def test_a_deadline_is_the_end_of_a_working_day_n_working_days_on(start, days):
    due = AUTUMN.add_working_days(start, days)
    assert due > start
    assert AUTUMN.is_working(AUTUMN.due_day(due))
    assert due.astimezone(CHINA).time() == datetime.min.time()
    assert AUTUMN.working_days_between(start, due) == days


def test_the_table_lets_nothing_leave_a_final_state_and_only_the_office_reopens_a_closed_case():
    for action, rule in TRANSITIONS.items():
        for actor, states in rule.by.items():
            assert not states & FINAL, (action, actor)
            if CaseStatus.closed in states:
                assert (action, actor) == ("reopen", Actor.staff)


def test_plan_names_the_next_state_and_refuses_with_403_or_409():
    assert plan("accept", "assigned", {Actor.handler}) == (CaseStatus.accepted, Actor.handler)
    with pytest.raises(Forbidden):
        plan("accept", "assigned", {Actor.filer})
    with pytest.raises(Conflict):
        plan("accept", "resolved", {Actor.handler})
    with pytest.raises(Conflict):
        plan("confirm", "closed", {Actor.filer, Actor.staff})
    assert plan("reopen", "closed", {Actor.filer, Actor.staff}) == (CaseStatus.reopened, Actor.staff)


def test_phone_numbers_are_masked_in_public_text_and_names_show_one_character():
    assert redact("请打13812345678或 0731-5566 7788") == "请打***********或 **************"
    assert mask_name("毛春华") == "毛**"
    assert mask_name(None) is None


def test_an_urgent_case_counts_clock_hours_through_a_holiday_and_a_normal_one_working_days():
    policy = CasePolicy()
    eve = local(2026, 9, 30, 23)  # the night before National Day
    accept, resolve = policy.due_times(AUTUMN, eve, kind="request", resolve_working_days=5, urgent=True)
    assert (accept, resolve) == (local(2026, 10, 1, 1), local(2026, 10, 1, 23))
    assert accept.tzinfo is UTC
    accept, resolve = policy.due_times(AUTUMN, eve, kind="request", resolve_working_days=5, urgent=False)
    assert (accept, resolve) == (local(2026, 10, 9, 0), local(2026, 10, 14, 0))  # 8 Oct; 8, 9, 10 (Sat), 12, 13
    late = policy.escalation_times(AUTUMN, local(2026, 10, 1, 1), True)
    assert late == (local(2026, 10, 1, 3), local(2026, 10, 1, 5))
    assert policy.reminder_before(True) == timedelta(minutes=30) and policy.reminder_before(False) == timedelta(hours=8)


def test_a_filing_names_a_grid_or_a_place_and_at_most_three_distinct_photos():
    base = {"kind": "request", "category": "roads", "description": "路坏了"}
    photo = "00000000-0000-4000-8000-000000000001"
    assert CaseCreate(**base, location={"lat": 27.9, "lon": 112.5}).grid_id is None
    for bad in (
        {},
        {"location": {"lat": 27.9}},
        {"location": {"lat": float("nan"), "lon": 1}},
        {"grid_id": photo, "photo_ids": [photo, photo]},
        {"grid_id": photo, "photo_ids": [f"00000000-0000-4000-8000-00000000000{n}" for n in range(4)]},
    ):
        with pytest.raises(ValidationError):
            CaseCreate(**base, **bad)


def test_the_out_of_scope_answers_follow_the_schema_list():
    assert list(OUT_OF_SCOPE) == list(OutOfScope)
    assert where_to_go("petition").startswith("该事项已进入信访程序") and where_to_go(None) is None


def test_a_tracking_code_carries_sixty_random_bits_in_letters_that_read_aloud_without_confusion():
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000 and CODE_BITS >= 40
    for code in codes:
        assert re.fullmatch(TRACKING_CODE_PATTERN, code) and len(code) == len("SS-7KQ3-M9XD-2PWA")
        assert not set(code[3:].replace("-", "")) & set("ILOU")
    used = {character for code in codes for character in code[3:].replace("-", "")}
    assert used == set(CROCKFORD)  # every one of the 32 characters turns up: 5 bits each


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("SS-7KQ3-M9XD-2PWA", "SS-7KQ3-M9XD-2PWA"),
        ("ss-7kq3-m9xd-2pwa", "SS-7KQ3-M9XD-2PWA"),
        (" SS 7KQ3 M9XD 2PWA ", "SS-7KQ3-M9XD-2PWA"),
        ("7KQ3M9XD2PWA", "SS-7KQ3-M9XD-2PWA"),
        ("SS-7KQ3-M9XD-2PWO", "SS-7KQ3-M9XD-2PW0"),  # O read as 0, I and L as 1
        ("SS-IKQ3-M9XD-2PWL", "SS-1KQ3-M9XD-2PW1"),
        ("SS-2611-48213", "SS-2611-48213"),  # the first form keeps working
        ("ss 26I1 482l3", "SS-2611-48213"),
        ("ＳＳ－７ＫＱ３－Ｍ９ＸＤ－２ＰＷＡ", "SS-7KQ3-M9XD-2PWA"),  # typed in a Chinese IME's full-width mode
    ],
)
def test_a_code_is_found_however_it_was_typed_or_read_aloud(typed, stored):
    assert normalise_code(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["", "SS", "SS-7KQ3-M9XD-2PW", "SS-7KQ3-M9XD-2PWAX", "SS-7KQ3-M9XD-2PWU", "../cases", "SS-2611-4821", "x" * 500],
)
def test_anything_that_cannot_be_a_code_is_no_code(typed):
    assert normalise_code(typed) is None
