"""The notification rules for what waits: working hours (Monday to Friday, 08:30–17:30 Beijing), the deputies'
SMS for a case still unaccepted 2 working hours after it reached them, the reminder of a reception session's
deputies on duty the day before, a referral's officers told when it arrives and the day before it is due, and
what cancels a waiting notice."""

from datetime import UTC, datetime

import pytest

from services.notification.domain.capping import Candidate, hour_of, next_hour, over_cap, summary_key
from services.notification.domain.notices import (
    OFFICE_LEVEL,
    Audience,
    CaseFacts,
    Kind,
    channels,
    decide,
    escalation_level,
    screen_for,
)
from services.notification.domain.reminders import (
    cancelled_by,
    case_subject,
    plan_case,
    plan_referral,
    plan_session,
    referral_subject,
    session_cancelled,
    session_reminder,
    session_subject,
)
from services.notification.domain.texts import SMS_SEGMENT, sms_text, words
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
    [planned] = plan_case(facts("case.case.submitted.v2"), beijing(4, 16, 30), "event-key", beijing(4, 16, 30))
    assert (planned.kind, planned.audience) == (Kind.case_unaccepted, Audience.deputies)
    assert planned.deputy_ids == ("d1", "d2")
    assert planned.due_at == beijing(7, 9, 30)
    assert planned.subject == case_subject("case-1") and planned.tracking_code == "SS-2612-00001"
    assert channels(Kind.case_unaccepted, False) == {"sms"}  # the push went when it was routed
    again = plan_case(facts("case.case.submitted.v2"), beijing(4, 16, 30), "event-key", beijing(4, 16, 30))[0]
    assert again.key == planned.key  # the same event plans the same notice
    other = plan_case(facts("case.case.assigned.v2"), beijing(4, 16, 30), "another-event", beijing(4, 17))[0]
    assert other.key != planned.key and other.subject == planned.subject  # a new routing: a new plan


def test_a_routing_heard_of_long_after_its_time_plans_nothing():
    """The stream read again from its start (a new database): last month's cases text nobody."""
    late = plan_case(facts("case.case.submitted.v2"), beijing(2, 9), "k", beijing(3, 10, 59))
    assert [planned.due_at for planned in late] == [beijing(2, 11)]  # a day late: still said
    assert plan_case(facts("case.case.submitted.v2"), beijing(2, 9), "k", beijing(3, 11, 1)) == []


def test_an_urgent_case_or_one_without_deputies_plans_nothing():
    urgent = facts("case.case.submitted.v2", urgent=True)
    assert plan_case(urgent, beijing(2, 9), "k", beijing(2, 9)) == []  # its SMS went at once
    assert channels(Kind.case_routed, True) == {"push", "sms"}
    assert plan_case(facts("case.case.submitted.v2", ()), beijing(2, 9), "k", beijing(2, 9)) == []
    assert plan_case(facts("case.case.accepted.v1"), beijing(2, 9), "k", beijing(2, 9)) == []


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
    [cancel] = [cancel for cancel in cancelled_by(facts(event)) if Kind.case_unaccepted in cancel.kinds]
    assert cancel.subject == case_subject("case-1")


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


def test_the_deputies_on_duty_are_reminded_at_nine_the_day_before_a_session():
    starts = beijing(10, 14, 30)
    [planned] = plan_session("s-1", starts, ["d1", "d1", "d2"], now=beijing(2, 12))
    assert (planned.kind, planned.deputy_ids, planned.when) == (Kind.session_tomorrow, ("d1", "d2"), starts)
    assert planned.due_at == beijing(9, 9, 0) and planned.subject == session_subject("s-1")
    assert channels(Kind.session_tomorrow, False) == {"push", "app"}  # also in the list without a device
    assert screen_for(Kind.session_tomorrow, "", None) == "/deputy/duty"
    assert planned.key == session_reminder("s-1", starts, ["d2"]).key  # what a cancellation forestalls
    cancel = session_cancelled("s-1")
    assert cancel.subject == planned.subject and cancel.kinds == {Kind.session_tomorrow}


def test_a_session_announced_late_reminds_at_once_and_one_begun_or_unstaffed_not_at_all():
    starts = beijing(10, 8, 30)
    [late] = plan_session("s-1", starts, ["d1"], now=beijing(9, 20, 0))
    assert late.due_at == beijing(9, 20, 0)
    [same_day] = plan_session("s-1", starts, ["d1"], now=beijing(10, 7, 0))
    assert same_day.due_at == beijing(10, 7, 0)
    assert plan_session("s-1", starts, ["d1"], now=starts) == []
    assert plan_session("s-1", starts, [], now=beijing(2, 9)) == []


def test_a_session_reminder_names_its_time_in_beijing_in_the_accounts_language():
    starts = beijing(10, 14, 30)
    in_chinese = words(Kind.session_tomorrow, "zh-CN", "", "", starts)[1]
    assert in_chinese == "您12月10日 14:30有一场代表接待值班，请准时参加。"
    title, body = words(Kind.session_tomorrow, "en", "", "", starts)
    assert (title, body) == ("Reception duty reminder", "You are on duty at a reception on 10 Dec 14:30.")
    assert len(sms_text(Kind.session_tomorrow, "en", "", "", "人大代表进网格", starts)) <= SMS_SEGMENT


def end_of(day: int) -> datetime:
    """A deadline: the end (24:00) of a December day in Beijing."""
    return beijing(day + 1, 0, 0)


def test_a_referral_tells_the_organisations_officers_with_its_due_day():
    referred = facts("case.case.referred.v1", organisation="SSX-WATER", due_at=end_of(10))
    officers = [notice for notice in decide(referred) if notice.audience == Audience.organisation]
    assert [(n.kind, n.organisation, n.when) for n in officers] == [(Kind.referral_arrived, "SSX-WATER", end_of(10))]
    assert channels(Kind.referral_arrived, False) == {"push", "app"}
    assert screen_for(Kind.referral_arrived, "case-1", "SS-2612-00001") == "/notifications"
    assert [n.kind for n in decide(referred) if n.audience == Audience.followers] == [Kind.case_referred]
    zh = words(Kind.referral_arrived, "zh-CN", "SS-2612-00001", "韶阳村第1组", end_of(10))[1]
    assert zh == "韶阳村第1组诉求SS-2612-00001已转交贵单位办理，请于12月10日前答复。"
    en = words(Kind.referral_due, "en", "SS-2612-00001", "G1", end_of(10))[1]
    assert en == "Referral SS-2612-00001 (G1) is due tomorrow, 10 Dec."


def test_the_officers_are_reminded_at_nine_the_day_before_the_due_day():
    referred = facts("case.case.referred.v1", organisation="SSX-WATER", due_at=end_of(10))
    [planned] = plan_referral(referred, now=beijing(2, 10))
    assert (planned.kind, planned.audience, planned.organisation) == (
        Kind.referral_due,
        Audience.organisation,
        "SSX-WATER",
    )
    assert planned.due_at == beijing(9, 9) and planned.when == end_of(10)
    assert planned.subject == referral_subject("case-1", "SSX-WATER")
    [late] = plan_referral(referred, now=beijing(9, 15))
    assert late.due_at == beijing(9, 15)  # referred on the day before: at once
    assert plan_referral(referred, now=beijing(10, 8)) == []  # due today: case intake chases it when late
    returned = facts("case.referral.returned.v1", organisation="SSX-WATER", due_at=end_of(15))
    [again] = plan_referral(returned, now=beijing(10, 8))
    assert again.subject == planned.subject and again.key != planned.key and again.due_at == beijing(14, 9)
    assert plan_referral(facts("case.case.referred.v1", organisation=None, due_at=end_of(10)), beijing(2, 9)) == []


def test_the_answer_or_the_end_of_the_case_cancels_the_officers_reminder():
    [answered] = cancelled_by(facts("case.referral.answered.v1", organisation="SSX-WATER"))
    assert answered.subject == referral_subject("case-1", "SSX-WATER") and answered.kinds == {Kind.referral_due}
    for event in ("case.case.resolved.v1", "case.case.withdrawn.v1", "case.case.rejected.v1", "case.case.merged.v1"):
        ended = [cancel for cancel in cancelled_by(facts(event)) if Kind.referral_due in cancel.kinds]
        assert [(cancel.subject, cancel.case_id) for cancel in ended] == [(None, "case-1")]
    assert not [c for c in cancelled_by(facts("case.case.escalated.v1")) if Kind.referral_due in c.kinds]


def test_the_office_is_told_when_a_case_reaches_it_first_the_grid_head_then_the_office():
    assert escalation_level(0, "accepted") == 1  # to the township's grid head
    assert escalation_level(1, "escalated") == OFFICE_LEVEL == escalation_level(1, "in_progress")
    assert escalation_level(0, "submitted") == OFFICE_LEVEL  # it reached no deputy: to the office at once
    assert escalation_level(2, "accepted") == OFFICE_LEVEL
    head = decide(facts("case.case.escalated.v1", ("head",), escalation_level=1))
    assert [(n.kind, n.audience) for n in head] == [(Kind.case_escalated, Audience.deputies)]
    office = decide(facts("case.case.escalated.v1", ("head",), escalation_level=2, urgent=True))
    assert [(n.kind, n.audience, n.urgent) for n in office] == [
        (Kind.case_escalated, Audience.deputies, True),
        (Kind.office_escalated, Audience.office, True),
    ]
    unrouted = decide(facts("case.case.escalated.v1", (), escalation_level=2))
    assert [(n.kind, n.audience) for n in unrouted] == [(Kind.office_escalated, Audience.office)]
    assert screen_for(Kind.office_escalated, "case-1", "SS-2612-00001") == "/office/case/case-1"
    assert channels(Kind.office_escalated, False) == {"push", "app"}
    assert (
        words(Kind.office_escalated, "zh-CN", "SS-2612-00001", "G1")[1]
        == "G1诉求SS-2612-00001已升级至人大办督办，请查看。"
    )


def candidate(number: int, recipient: str = "account:a", **more) -> Candidate:  # type: ignore[no-untyped-def]
    values = {"channel": "push", "event_id": f"e{number}", "foldable": True} | more
    return Candidate(id=f"row{number}", recipient=recipient, **values)


def test_at_most_the_cap_an_hour_to_a_person_the_rest_folded():
    due = [candidate(number) for number in range(1, 6)]
    assert over_cap(due, {}, cap=3) == {"row4", "row5"}
    assert over_cap(due, {("account:a", "push"): {"old1", "old2"}}, cap=3) == {"row2", "row3", "row4", "row5"}
    assert over_cap(due, {("account:a", "sms"): {"old1", "old2", "old3"}}, cap=3) == {"row4", "row5"}  # per channel
    others = [candidate(number, recipient=f"account:{number}") for number in range(1, 6)]
    assert over_cap(others, {}, cap=1) == set()  # per person


def test_one_message_on_two_devices_is_one_and_folds_on_both():
    due = [
        candidate(1),
        Candidate("row1b", "account:a", "push", "e1", True),
        candidate(2),
        Candidate("row2b", "account:a", "push", "e2", True),
    ]
    assert over_cap(due, {}, cap=1) == {"row2", "row2b"}
    assert over_cap(due, {("account:a", "push"): {"e1"}}, cap=1) == {"row2", "row2b"}  # sent on one already


def test_urgent_cases_summaries_and_retries_are_never_folded_but_count():
    due = [candidate(1, foldable=False), candidate(2), candidate(3, foldable=False), candidate(4)]
    assert over_cap(due, {}, cap=2) == {"row4"}
    turned_off = [candidate(1, counts=False), candidate(2), candidate(3, channel="app")]
    assert over_cap(turned_off, {}, cap=1) == set()  # neither a skipped nor an in-app row is a message


def test_a_summary_is_one_per_person_channel_device_and_hour_and_goes_when_the_hour_ends():
    at = beijing(2, 10, 59)
    assert summary_key("account:a", "push", "dev", hour_of(at)) == summary_key(
        "account:a", "push", "dev", beijing(2, 10)
    )
    assert summary_key("account:a", "push", "dev", hour_of(at)) != summary_key("account:a", "push", "dev2", hour_of(at))
    assert next_hour(at) == beijing(2, 11)
    assert words(Kind.summary, "zh-CN", "", "", count=5)[1] == "另有5条通知，请打开应用查看。"
    assert words(Kind.summary, "en", "", "", count=5) == ("More notifications", "And 5 more: open the app.")
    assert screen_for(Kind.summary, "", None) == "/notifications"
