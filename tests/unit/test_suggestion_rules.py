"""The rules of deputies' suggestions without a database: who takes which step in which state, and the legal
times (calendar months on the China civil calendar, due at the end of the day)."""

from datetime import UTC, date, datetime

import pytest

from services.deputy.domain import suggestions as rules
from shared.clock import CHINA
from shared.errors import Conflict, Forbidden, Unprocessable


def test_months_land_on_the_same_day_or_the_months_last():
    assert rules.add_months(date(2026, 3, 2), 3) == date(2026, 6, 2)
    assert rules.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert rules.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert rules.add_months(date(2026, 10, 31), 1) == date(2026, 11, 30)
    assert rules.add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


def test_an_answer_is_due_at_the_end_of_the_day_three_or_six_months_on_or_an_earlier_day():
    assigned = datetime(2026, 3, 2, 23, 30, tzinfo=CHINA)  # still 2 March in China, 15:30 UTC
    assert rules.answer_due(assigned, broad=False) == datetime(2026, 6, 2, 16, tzinfo=UTC)
    assert rules.answer_due(assigned, broad=True) == datetime(2026, 9, 2, 16, tzinfo=UTC)
    assert rules.answer_due(assigned, False, date(2026, 4, 1)) == datetime(2026, 4, 1, 16, tzinfo=UTC)
    with pytest.raises(Unprocessable):
        rules.answer_due(assigned, False, date(2026, 6, 3))
    with pytest.raises(Unprocessable):
        rules.answer_due(assigned, False, date(2026, 3, 1))
    assert rules.rehandle_due(assigned) == datetime(2026, 4, 2, 16, tzinfo=UTC)


def test_a_stranger_is_refused_before_the_state_is_looked_at():
    with pytest.raises(Forbidden):
        rules.check("draft", "answer", {rules.LEAD, rules.DEPUTY})
    with pytest.raises(Conflict):
        rules.check("draft", "answer", {rules.LEAD_ORG})
    assert rules.check("assigned", "answer", {rules.LEAD_ORG}).target == "answered"
    with pytest.raises(Forbidden):
        rules.check("answered", "rate", {rules.DEPUTY})  # a co-signer records contact; the lead rates
    assert rules.check("answered", "contact", {rules.DEPUTY}).target is None


def test_every_step_names_real_states_and_the_rating_decides_what_follows():
    for step in rules.STEPS.values():
        assert step.sources <= set(rules.STATES) and (step.target is None or step.target in rules.STATES)
    assert rules.after_rating("dissatisfied", "planned") == "dissatisfied"
    assert rules.after_rating("satisfied", "planned") == "planned"
    assert rules.after_rating("basically_satisfied", "solved") == "completed"


def test_the_reminder_comes_two_weeks_before_and_the_escalation_when_due():
    due = datetime(2026, 6, 2, 16, tzinfo=UTC)
    assert rules.deadline_stages(due) == [("reminder", datetime(2026, 5, 19, 16, tzinfo=UTC)), ("escalation", due)]
    assert rules.may_request_reassignment(due, datetime(2026, 6, 12, 15, tzinfo=UTC))
    assert not rules.may_request_reassignment(due, datetime(2026, 6, 12, 16, tzinfo=UTC))
