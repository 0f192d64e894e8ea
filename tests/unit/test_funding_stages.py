"""Who may take which step of a micro-project, and from which stage (no I/O)."""

import pytest

from services.micro_funding.domain.stages import CHECKS, STEPS, authorise, check_not_proposer, check_source
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden

OWNER = "11111111-1111-4111-8111-111111111111"


def who(*roles: Role, deputy_id: str | None = None) -> Principal:
    return Principal(subject="someone", roles=frozenset(roles), deputy_id=deputy_id)


def test_only_the_npc_office_approves() -> None:
    assert authorise("approve", who(Role.npc_office), deputy_id=OWNER, status="in_notice") == Role.npc_office
    for role in (Role.finance, Role.deputy, Role.station_staff, Role.villager, Role.agency_officer):
        with pytest.raises(Forbidden):
            authorise("approve", who(role, deputy_id=OWNER), deputy_id=OWNER, status="in_notice")


def test_only_the_own_deputy_submits_and_withdraws() -> None:
    for action in ("submit", "withdraw"):
        assert authorise(action, who(Role.deputy, deputy_id=OWNER), deputy_id=OWNER, status="draft") == Role.deputy
        other = who(Role.deputy, deputy_id="22222222-2222-4222-8222-222222222222")
        with pytest.raises(Forbidden):
            authorise(action, other, deputy_id=OWNER, status="draft")
        with pytest.raises(Forbidden):
            authorise(action, who(Role.npc_office), deputy_id=OWNER, status="draft")


def test_station_staff_reject_only_what_waits_for_screening() -> None:
    staff = who(Role.station_staff)
    assert authorise("reject", staff, deputy_id=OWNER, status="submitted") == Role.station_staff
    with pytest.raises(Forbidden):
        authorise("reject", staff, deputy_id=OWNER, status="in_notice")
    assert authorise("reject", who(Role.npc_office), deputy_id=OWNER, status="in_notice") == Role.npc_office


@pytest.mark.parametrize("action", sorted(STEPS))
def test_every_step_refuses_stages_it_does_not_start_from(action: str) -> None:
    step = STEPS[action]
    for status in step.sources:
        assert check_source(action, status) == step.target
    for status in {"draft", "submitted", "funded", "published", "rejected", "withdrawn"} - set(step.sources):
        with pytest.raises(Conflict):
            check_source(action, status)


def test_nothing_leaves_a_final_stage() -> None:
    finals = {"published", "rejected", "withdrawn"}
    assert not any(finals & set(step.sources) for step in STEPS.values())


def test_the_proposer_takes_no_step_that_checks_funds_or_judges_the_project() -> None:
    """Separation of duties: an account acting for the project's deputy, or the account that drafted it, may
    hold every other role and still neither screen, deliberate, notice, rule, approve, reject, accept, publish,
    pay, release nor rate it."""
    every_role = frozenset(Role)
    by_deputy = Principal(subject="other-account", roles=every_role, deputy_id=OWNER)
    by_account = Principal(subject="drafting-account", roles=every_role, deputy_id=None)
    for action in sorted(CHECKS):
        for principal in (by_deputy, by_account):
            with pytest.raises(Forbidden, match="Separation of duties"):
                check_not_proposer(action, principal, deputy_id=OWNER, owner="drafting-account")
    for action in sorted(CHECKS.keys() & STEPS.keys()):
        status = STEPS[action].sources[0]
        with pytest.raises(Forbidden, match="Separation of duties"):
            authorise(action, by_deputy, deputy_id=OWNER, status=status, owner="drafting-account")
    stranger = Principal(subject="office", roles=every_role, deputy_id="22222222-2222-4222-8222-222222222222")
    assert authorise("approve", stranger, deputy_id=OWNER, status="in_notice", owner="drafting-account") == "npc_office"
    # the proposer still submits, withdraws and reports progress on their own project
    for action, status in (("submit", "draft"), ("withdraw", "screened"), ("start", "funded")):
        assert authorise(action, by_deputy, deputy_id=OWNER, status=status, owner="drafting-account") == "deputy"
