"""Each filing is read once, as v2: no service subscribes to the v1 of a filing or a routing, whose `summary`
held the start of the villager's words, and case intake publishes v1 only when told to."""

import importlib

import pytest

from services.case_intake.policy import CasePolicy
from shared.config import SERVICES
from shared.messaging.catalogue import CaseAssigned, CaseAssignedV2, CaseSubmitted, CaseSubmittedV2

SUPERSEDED = {CaseSubmitted.event_type, CaseAssigned.event_type}


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_subscribes_to_the_v1_of_a_filing_or_a_routing(service: str) -> None:
    subscriptions = getattr(importlib.import_module(f"services.{service}.events"), "SUBSCRIPTIONS", {})
    consumed = {event_type for handlers in subscriptions.values() for event_type in handlers}
    assert not consumed & SUPERSEDED
    if consumed & {CaseSubmittedV2.event_type, CaseAssignedV2.event_type}:  # one without the other loses cases
        assert {CaseSubmittedV2.event_type, CaseAssignedV2.event_type} <= consumed


def test_case_intake_publishes_v1_only_when_told_to(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASE_PUBLISH_V1_EVENTS", raising=False)
    assert CasePolicy().publish_v1_events is False
    monkeypatch.setenv("CASE_PUBLISH_V1_EVENTS", "true")
    assert CasePolicy().publish_v1_events is True
