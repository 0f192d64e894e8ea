"""The notification rules for what waits: working hours (Monday to Friday, 08:30–17:30 Beijing), the deputies'
SMS for a case still unaccepted 2 working hours after it reached them, and what cancels a waiting notice."""

from datetime import UTC, datetime

import pytest

from services.notification.domain.notices import Audience, CaseFacts, Kind, channels
from services.notification.domain.reminders import cancelled_by, case_subject, plan_case
from services.notification.domain.texts import SMS_SEGMENT, sms_text
from services.notification.domain.workhours import add_working_hours
from shared.clock import CHINA


def beijing(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in December 2026 (the 4th is a Friday) in Beijing time, as UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=CHINA).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (beijing(2, 9, 0), beijing(2, 11, 0)),  # within a Wednesday
        (beijing(2, 15, 30), beijing(2, 17, 30)),  # ends at closing time exactly
        (beijing(2, 16, 45), beijing(3, 9, 45)),  # 45 minutes today, the rest tomorrow morning
        (beijing(2, 6, 10), beijing(2, 10, 30)),  # before opening: counted from 08:30
        (beijing(2, 20, 0), beijing(3, 10, 30)),  # after closing: from the next morning
        (beijing(4, 17, 0), beijing(7, 10, 0)),  # Friday 17:00: half an hour, then Monday
        (beijing(5, 11, 0), beijing(7, 10, 30)),  # Saturday: Monday
        (beijing(6, 23, 59), beijing(7, 10, 30)),  # Sunday night: Monday
    ],
)
def test_two_working_hours_count_only_monday_to_friday_0830_to_1730(start, expected):
    assert add_working_hours(start, 2) == expected


def test_working_hours_keep_the_callers_time_zone_and_refuse_to_count_backwards():
    local = datetime(2026, 12, 2, 9, 0, tzinfo=CHINA)
    assert add_working_hours(local, 1) == datetime(2026, 12, 2, 10, 0, tzinfo=CHINA)
    assert add_working_hours(local, 1).tzinfo is CHINA
    assert add_working_hours(beijing(2, 9), 18) == beijing(4, 9)  # two whole days of nine hours
    with pytest.raises(ValueError):
        add_working_hours(local, -1)


def facts(event_type: str, deputies: tuple[str, ...] = ("d1", "d2"), **more) -> CaseFacts:  # type: ignore[no-untyped-def]
    return CaseFacts(event_type, "case-1", "SS-2612-00001", "grid-1", deputies, **more)


def test_a_case_routed_to_deputies_plans_an_sms_two_working_hours_on():
    [planned] = plan_case(facts("case.case.submitted.v2"), beijing(4, 16, 30), "event-key")
    assert (planned.kind, planned.audience) == (Kind.case_unaccepted, Audience.deputies)
    assert planned.deputy_ids == ("d1", "d2")
    assert planned.due_at == beijing(7, 9, 30)
    assert planned.subject == case_subject("case-1") and planned.tracking_code == "SS-2612-00001"
    assert channels(Kind.case_unaccepted, False) == {"sms"}  # the push went when it was routed
    again = plan_case(facts("case.case.submitted.v2"), beijing(4, 16, 30), "event-key")[0]
    assert again.key == planned.key  # the same event plans the same notice
    other = plan_case(facts("case.case.assigned.v2"), beijing(4, 16, 30), "another-event")[0]
    assert other.key != planned.key and other.subject == planned.subject  # a new routing: a new plan


def test_an_urgent_case_or_one_without_deputies_plans_nothing():
    assert plan_case(facts("case.case.submitted.v2", urgent=True), beijing(2, 9), "k") == []  # its SMS went at once
    assert channels(Kind.case_routed, True) == {"push", "sms"}
    assert plan_case(facts("case.case.submitted.v2", ()), beijing(2, 9), "k") == []
    assert plan_case(facts("case.case.accepted.v1"), beijing(2, 9), "k") == []


@pytest.mark.parametrize(
    "event",
    [
        "case.case.accepted.v1",
        "case.case.returned.v1",
        "case.case.rejected.v1",
        "case.case.withdrawn.v1",
        "case.case.merged.v1",
        "case.case.closed.v1",
    ],
)
def test_a_step_of_the_case_ends_the_wait(event):
    [cancel] = cancelled_by(facts(event))
    assert cancel.subject == case_subject("case-1") and Kind.case_unaccepted in cancel.kinds


@pytest.mark.parametrize(
    "event",
    ["case.case.escalated.v1", "case.case.reopened.v1", "case.case.reminded.v1", "case.case.submitted.v2"],
)
def test_an_escalation_a_reopening_or_a_reminder_leave_the_case_waiting(event):
    assert all(Kind.case_unaccepted not in cancel.kinds for cancel in cancelled_by(facts(event)))


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("kind", list(Kind))
def test_every_sms_fits_one_segment_for_a_grid_this_service_has_not_heard_of(kind, language):
    """No grid name yet: the words say "your grid" (网格), which cannot be shortened."""
    assert len(sms_text(kind, language, "SS-2612-00001", "", "人大代表进网格")) <= SMS_SEGMENT
