"""Ids that name nothing, inside otherwise valid bodies, and other users' records: a deputy acting on another
deputy's record of duty, pairs or proposal, a villager on another's booking or case, an account on another
account. Each is a clear 4xx problem, nothing is stored, and the record acted on reads as before."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from shared.auth import Role
from tests.badinput.worlds import World, problem_faults

NOBODY = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Attempt:
    service: str
    label: str
    method: str
    path: Callable[[World], str]
    body: Callable[[World], Any]
    headers: Callable[[World], dict[str, str]]
    statuses: tuple[int, ...] = (404, 422)


def _deputy(world: World, deputy_id: str | None = None) -> dict[str, str]:
    return world.keys.headers(Role.deputy, subject="deputy-b", deputy_id=deputy_id or str(uuid.uuid4()))


def _office(world: World) -> dict[str, str]:
    return world.keys.headers(Role.npc_office, subject="office-1")


def _session(world: World, **changes: Any) -> dict:
    from tests.integration.test_station_support import session_body

    times = {"starts_at": "2026-03-23T09:00:00+08:00", "ends_at": "2026-03-23T11:00:00+08:00"}
    return session_body(world.native, **{**times, **changes})


def _draft(world: World, **changes: Any) -> dict:
    from tests.integration.test_funding_support import draft_body

    pool_id = changes.pop("pool_id", world.ids["pool_id"])
    return draft_body(world.native, pool_id, **changes)


def _case(world: World, **changes: Any) -> dict:
    body = {"kind": "request", "category": "water", "description": "村里水费涨了。", "grid_id": world.native.group_id}
    return {**body, **changes}


UNKNOWN_IN_BODIES = [
    Attempt("grid", "a parent that does not exist", "POST", lambda w: "/grids",
            lambda w: {"code": "X1", "name": "无名村", "level": "village", "parent_id": NOBODY}, _office),
    Attempt("grid", "moved under a grid that does not exist", "PATCH", lambda w: f"/grids/{w.ids['grid_id']}",
            lambda w: {"parent_id": NOBODY, "reason": "调整"}, _office),
    Attempt("grid", "an assignment to a grid that does not exist", "POST", lambda w: "/assignments",
            lambda w: {"grid_id": NOBODY, "deputy_id": str(uuid.uuid4()), "starts_on": "2026-02-01"}, _office),
    Attempt("deputy", "a home grid that does not exist", "POST", lambda w: "/deputies",
            lambda w: {"code": "D7001", "name": "李四", "level": "township", "district": "第1选区",
                       "home_grid_id": NOBODY}, _office),
    Attempt("deputy", "a support pair in a grid that does not exist", "POST",
            lambda w: f"/deputies/{w.ids['deputy_id']}/support-pairs",
            lambda w: {"household": "张某户", "need": "残疾", "grid_id": NOBODY, "starts_on": "2026-02-01"},
            lambda w: _deputy(w, w.ids["deputy_id"])),
    Attempt("deputy", "a field visit in a grid that does not exist", "POST",
            lambda w: f"/deputies/{w.ids['deputy_id']}/record",
            lambda w: {"kind": "field_visit", "occurred_at": "2026-01-05T10:00:00+08:00", "summary": "走访",
                       "grid_id": NOBODY}, lambda w: _deputy(w, w.ids["deputy_id"])),
    Attempt("station_scheduling", "a session at a station that does not exist", "POST", lambda w: "/sessions",
            lambda w: _session(w, station_id=NOBODY), lambda w: w.native.staff),
    Attempt("station_scheduling", "a deputy on duty who does not exist", "POST", lambda w: "/sessions",
            lambda w: _session(w, deputy_ids=[NOBODY]), lambda w: w.native.staff),
    Attempt("station_scheduling", "a station in a township that does not exist", "POST", lambda w: "/stations",
            lambda w: {"code": "X-S", "name": "无名站", "tier": "township", "township_grid_id": NOBODY,
                       "address": "某处", "opening_hours": "周一"}, lambda w: w.native.staff),
    Attempt("micro_funding", "a pool that does not exist", "POST", lambda w: "/projects",
            lambda w: _draft(w, pool_id=NOBODY), lambda w: w.native.deputy),
    Attempt("micro_funding", "a grid that does not exist", "POST", lambda w: "/projects",
            lambda w: _draft(w, grid_ids=[NOBODY]), lambda w: w.native.deputy),
    Attempt("micro_funding", "a case that does not exist", "POST", lambda w: "/projects",
            lambda w: _draft(w, case_ids=[NOBODY]), lambda w: w.native.deputy),
    Attempt("case_intake", "a group grid that does not exist", "POST", lambda w: "/cases",
            lambda w: _case(w, grid_id=NOBODY), lambda w: w.native.villager()),
    Attempt("case_intake", "merged into a case that does not exist", "POST",
            lambda w: f"/cases/{w.ids['case_id']}/merge", lambda w: {"into_case_id": NOBODY, "note": "重复"},
            lambda w: w.native.office()),
]  # fmt: skip

FORBIDDEN = (403, 404)
OTHER_USERS = [
    Attempt("deputy", "an entry in another deputy's record of duty", "POST",
            lambda w: f"/deputies/{w.ids['deputy_id']}/record",
            lambda w: {"kind": "field_visit", "occurred_at": "2026-01-05T10:00:00+08:00", "summary": "代写"},
            _deputy, FORBIDDEN),
    Attempt("deputy", "a support pair for another deputy", "POST",
            lambda w: f"/deputies/{w.ids['deputy_id']}/support-pairs",
            lambda w: {"household": "张某户", "need": "残疾", "starts_on": "2026-02-01"}, _deputy, FORBIDDEN),
    Attempt("deputy", "a visit on another deputy's pair", "POST", lambda w: f"/support-pairs/{w.ids['pair_id']}/visits",
            lambda w: {"occurred_at": "2026-01-05T10:00:00+08:00", "summary": "代访"}, _deputy, FORBIDDEN),
    Attempt("deputy", "ending another deputy's pair", "POST", lambda w: f"/support-pairs/{w.ids['pair_id']}/end",
            lambda w: {"ends_on": "2026-02-01"}, _deputy, FORBIDDEN),
    Attempt("deputy", "editing another deputy's profile", "PATCH", lambda w: f"/deputies/{w.ids['deputy_id']}",
            lambda w: {"name": "冒名"}, _deputy, FORBIDDEN),
    Attempt("micro_funding", "editing another deputy's proposal", "PUT",
            lambda w: f"/projects/{w.ids['project_id']}", lambda w: _draft(w, title="冒名修改"), _deputy, FORBIDDEN),
    Attempt("micro_funding", "submitting another deputy's proposal", "POST",
            lambda w: f"/projects/{w.ids['project_id']}/submission", lambda w: {"note": "代交"}, _deputy, FORBIDDEN),
    Attempt("micro_funding", "withdrawing another deputy's proposal", "POST",
            lambda w: f"/projects/{w.ids['project_id']}/withdrawal", lambda w: {"reason": "代撤"}, _deputy,
            FORBIDDEN),
    Attempt("station_scheduling", "cancelling another villager's booking", "POST",
            lambda w: f"/bookings/{w.ids['booking_id']}/cancel", lambda w: None,
            lambda w: w.native.villager("b"), FORBIDDEN),
    Attempt("station_scheduling", "a villager cancelling a session", "POST",
            lambda w: f"/sessions/{w.ids['session_id']}/cancel", lambda w: {"reason": "不想开"},
            lambda w: w.native.villager("a"), FORBIDDEN),
    Attempt("grid", "a deputy ending an assignment", "POST", lambda w: f"/assignments/{w.ids['assignment_id']}/end",
            lambda w: {"ends_on": "2026-02-01", "reason": "自己退出"}, _deputy, FORBIDDEN),
    Attempt("case_intake", "a deputy not routed the case accepting it", "POST",
            lambda w: f"/cases/{w.ids['case_id']}/accept", lambda w: {"note": "抢单"},
            lambda w: w.native.deputy(w.native.other_deputy_id), FORBIDDEN),
    Attempt("case_intake", "another villager withdrawing the case", "POST",
            lambda w: f"/cases/{w.ids['case_id']}/withdraw", lambda w: {"reason": "代撤"},
            lambda w: w.native.villager("villager-2"), FORBIDDEN),
    Attempt("case_intake", "the tracking code with someone else's filer key", "POST",
            lambda w: f"/cases/track/{w.ids['tracking_code']}/withdraw", lambda w: {"reason": "代撤"},
            lambda w: {"X-Filer-Key": "k" * 32}, FORBIDDEN),
]  # fmt: skip


def _label(attempt: Attempt) -> str:
    return f"{attempt.service}: {attempt.label}"


async def _refused(worlds, attempt: Attempt) -> None:  # type: ignore[no-untyped-def]
    world = await worlds.get(attempt.service)
    before = (await world.row_counts(), await world.read_all())
    body = attempt.body(world)
    answer = await world.client.request(
        attempt.method,
        attempt.path(world),
        json=body,
        headers={**attempt.headers(world), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert not problem_faults(answer), f"{answer.status_code} {answer.text}"
    assert answer.status_code in attempt.statuses, f"{answer.status_code} {answer.text}"
    assert (await world.row_counts(), await world.read_all()) == before


@pytest.mark.parametrize("attempt", UNKNOWN_IN_BODIES, ids=_label)
async def test_ids_that_name_nothing_are_refused(worlds, attempt):
    await _refused(worlds, attempt)


@pytest.mark.parametrize("attempt", OTHER_USERS, ids=_label)
async def test_other_users_records_are_out_of_reach(worlds, attempt):
    await _refused(worlds, attempt)


async def test_an_official_cannot_manage_accounts_not_even_their_own(worlds):
    from tests.integration.test_gateway_harness import bearer, login

    world = await worlds.get("gateway")
    clerk = bearer((await login(world.client, "clerk")).json()["access_token"])
    for method, path, body in (
        ("PATCH", f"/api/admin/accounts/{world.ids['account_id']}", {"roles": ["npc_office"]}),
        ("POST", f"/api/admin/accounts/{world.ids['account_id']}/password", {"password": "another-long-password"}),
        ("POST", "/api/admin/api-keys", {"name": "偷偷的钥匙"}),
    ):
        before = (await world.row_counts(), await world.read_all())
        answer = await world.client.request(method, path, json=body, headers=clerk)
        assert not problem_faults(answer) and answer.status_code == 403, f"{path}: {answer.text}"
        assert (await world.row_counts(), await world.read_all()) == before
