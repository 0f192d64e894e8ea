"""Random sequences of actions by random callers, through the API on a real database: no illegal transition
succeeds, a refused one changes nothing, the timeline always explains the status, no supporter is lost."""

import uuid
from contextlib import AsyncExitStack

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.city import build_town

OPEN = {
    "submitted",
    "assigned",
    "accepted",
    "in_progress",
    "referred",
    "mediating",
    "escalated",
    "reopened",
    "returned",
}
LATE = {"assigned", "accepted", "in_progress", "referred", "mediating", "reopened", "escalated"}
# The lifecycle of PRODUCT.md, edge by edge.
ALLOWED = {
    ("submitted", "assigned"),
    ("returned", "assigned"),
    *{(state, "accepted") for state in ("assigned", "reopened", "escalated")},
    *{(state, "in_progress") for state in ("accepted", "reopened", "escalated", "referred")},
    *{(state, "referred") for state in ("accepted", "in_progress", "mediating", "escalated")},
    *{(state, "mediating") for state in ("accepted", "in_progress", "escalated")},
    *{(state, "resolved") for state in ("accepted", "in_progress", "mediating", "escalated")},
    ("resolved", "closed"),
    ("resolved", "reopened"),
    ("closed", "reopened"),
    ("assigned", "returned"),
    ("accepted", "returned"),
    *{(state, "escalated") for state in LATE},
    *{(state, "withdrawn") for state in OPEN},
    *{(state, "merged") for state in OPEN - {"referred", "mediating"}},
    *{(state, "rejected") for state in OPEN - {"referred", "mediating"}},
}
DEPUTIES = {"deputy", "head", "other_deputy"}
MAY = {
    "accept": DEPUTIES | {"office"},
    "start": DEPUTIES | {"office"},
    "refer": DEPUTIES | {"office"},
    "mediate": DEPUTIES | {"office"},
    "resolve": DEPUTIES | {"office"},
    "confirm": {"filer", "office"},
    "reopen": {"filer", "office"},
    "return": DEPUTIES,
    "dispatch": {"office"},
    "withdraw": {"filer", "office"},
    "reject": DEPUTIES | {"office"},
    "escalate": {"office"},
    "merge": {"office"},
    "support": {"filer", "stranger", "officer", "office", *DEPUTIES},
    "answer": {"officer"},
    "accept_answer": DEPUTIES | {"office"},
}
BODIES = {
    "resolve": {"resolution": "已处理"},
    "refer": {"organisation": "water-bureau", "organisation_kind": "government", "question": "请答复"},
    "confirm": {"rating": "satisfied"},
    "reopen": {"reason": "没有解决"},
    "return": {"reason": "不归我们管"},
    "reject": {"reason": "不予受理"},
    "escalate": {"reason": "超时"},
}
NOTES = {"support", "answer"}

CALLERS = sorted(MAY["support"])
ACTIONS = sorted(MAY)
# Half the steps follow the lifecycle (the likely next action by the likely caller), so that sequences get deep.
GUIDE = {
    "assigned": ["accept", "return", "escalate", "merge"],
    "accepted": ["start", "refer", "mediate", "resolve"],
    "in_progress": ["resolve", "refer", "mediate"],
    "referred": ["answer", "accept_answer", "escalate"],
    "mediating": ["resolve", "refer"],
    "resolved": ["confirm", "reopen"],
    "closed": ["reopen", "support"],
    "reopened": ["accept", "start", "withdraw"],
    "escalated": ["accept", "start", "resolve", "escalate"],
    "returned": ["dispatch", "reject"],
}
LIKELY = {"confirm": ["filer"], "reopen": ["filer", "office"], "answer": ["officer"], "withdraw": ["filer"]}
LIKELY |= {action: ["office"] for action in ("dispatch", "escalate", "merge")}


async def draw_step(
    data,
    run,
) -> tuple[str, str, int, int]:  # type: ignore[no-untyped-def]
    index, other = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))
    status = (await run.read(index))["status"]
    if status in GUIDE and data.draw(st.booleans()):
        action = data.draw(st.sampled_from(GUIDE[status]))
        caller = data.draw(st.sampled_from(LIKELY.get(action, ["deputy"])))
    else:
        action, caller = data.draw(st.sampled_from(ACTIONS)), data.draw(st.sampled_from(CALLERS))
    return action, caller, index, other


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


class Run:
    """One example: three fresh cases, filed by three fresh villagers."""

    def __init__(self, town) -> None:
        self.town = town
        self.tag = uuid.uuid4().hex[:8]
        self.filers = [f"villager-{self.tag}-{index}" for index in range(3)]
        self.ids: list[str] = []
        self.supporters: list[set[str]] = [set(), set(), set()]

    def headers(self, caller: str, index: int) -> dict[str, str]:
        town = self.town
        return {
            "filer": lambda: town.villager(self.filers[index]),
            "stranger": lambda: town.villager(f"stranger-{self.tag}"),
            "deputy": lambda: town.deputy(),
            "head": lambda: town.deputy(town.head_id),
            "other_deputy": lambda: town.deputy(town.other_deputy_id),
            "office": town.office,
            "officer": town.officer,
        }[caller]()

    def deputy_id(self, caller: str) -> str | None:
        return {
            "deputy": self.town.deputy_id,
            "head": self.town.head_id,
            "other_deputy": self.town.other_deputy_id,
        }.get(caller)

    async def read(self, index: int) -> dict:
        answer = await self.town.client.get(f"/cases/{self.ids[index]}", headers=self.town.office())
        assert answer.status_code == 200
        return answer.json()

    async def check(self, *indexes: int) -> None:
        """The timeline explains the status, and every supporter is still counted."""
        for index in set(indexes):
            case = await self.read(index)
            assert explains(case), case["timeline"]
            assert case["supporters"] == len(self.supporters[index]), (index, self.supporters)

    async def referral(self, index: int, status: str) -> str | None:
        answer = await self.town.client.get(f"/cases/{self.ids[index]}/referrals", headers=self.town.office())
        return next((item["id"] for item in answer.json()["items"] if item["status"] == status), None)

    async def send(self, action: str, caller: str, index: int, other: int):  # type: ignore[no-untyped-def]
        client, headers, case_id = self.town.client, self.headers(caller, index), self.ids[index]
        if action == "answer" or action == "accept_answer":
            referral = await self.referral(index, "open" if action == "answer" else "answered")
            if referral is None:
                return None
            verb = "answer" if action == "answer" else "accept"
            return await client.post(
                f"/referrals/{referral}/{verb}", json={"answer": "已答复"} if verb == "answer" else {}, headers=headers
            )
        body = {"into_case_id": self.ids[other]} if action == "merge" else BODIES.get(action, {})
        return await client.post(f"/cases/{case_id}/{action}", json=body, headers=headers)


def explains(case: dict) -> bool:
    steps_ = case["timeline"]
    return (
        steps_[0]["from_status"] is None
        and all(step["from_status"] == before["to_status"] for before, step in zip(steps_, steps_[1:], strict=False))
        and steps_[-1]["to_status"] == case["status"]
    )


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(kinds=st.lists(st.sampled_from(["request", "dispute"]), min_size=3, max_size=3), data=st.data())
async def test_random_action_sequences_keep_the_lifecycle_sound(town, kinds, data):
    run = Run(town)
    for index, kind in enumerate(kinds):
        case = await town.file(town.villager(run.filers[index]), kind=kind, category="neighbours")
        run.ids.append(case["id"])
    for _ in range(data.draw(st.integers(1, 12), label="steps")):
        action, caller, index, other = await draw_step(data, run)
        before = await run.read(index)
        target_before = await run.read(other)
        answer = await run.send(action, caller, index, other)
        if answer is None:
            continue
        assert answer.status_code < 500, answer.text
        after = await run.read(index)
        if answer.status_code >= 400:
            assert after == before, (action, caller, answer.text)
            assert await run.read(other) == target_before
        else:
            assert caller in MAY[action], (action, caller)
            if run.deputy_id(caller) and action != "support":
                assert run.deputy_id(caller) in before["assigned_deputy_ids"]
            if action in NOTES:
                assert after["status"] == before["status"]
            else:
                assert (before["status"], after["status"]) in ALLOWED, (action, before["status"], after["status"])
            track(run, action, caller, index, other, answer)
        await run.check(index, other)
    await run.check(0, 1, 2)


def track(run: Run, action: str, caller: str, index: int, other: int, answer) -> None:  # type: ignore[no-untyped-def]
    """The supporters we expect: every "me too", and on a merge the duplicate's supporters and its filer."""
    if action == "support":
        identity = {"filer": run.filers[index], "stranger": f"stranger-{run.tag}"}.get(caller)
        run.supporters[index].add(identity or answer.request.headers["authorization"])
    elif action == "merge":
        merged = run.supporters[other] | run.supporters[index] | {run.filers[index]}
        run.supporters[other] = merged - {run.filers[other]}
        run.supporters[index] = set()
