"""A villager hears that their case became a livelihood micro-project (民生微实事): micro-funding's project events
(published on NATS as micro-funding publishes them) put each stage on the timeline of the cases the project
cites, with the project's title and, from its public notice on, its public page."""

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest

from shared.messaging.catalogue import (
    ProjectApproved,
    ProjectCompleted,
    ProjectDeliberated,
    ProjectDrafted,
    ProjectNoticed,
    ProjectSubmitted,
    ProjectWithdrawn,
)
from tests.integration.city import build_town
from tests.support import eventually

START = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


def project_step(kind, project_id: str, case_ids: list[str], from_status, to_status: str, hours: int):  # type: ignore[no-untyped-def]
    return kind(
        project_id=project_id,
        pool_id=str(uuid.uuid4()),
        kind="works",
        title="第1组饮水管网改造",
        deputy_ids=[str(uuid.uuid4())],
        grid_ids=[],
        village_ids=[],
        case_ids=case_ids,
        budget="12000.00",
        from_status=from_status,
        to_status=to_status,
        at=START + timedelta(hours=hours),
    )


async def project_steps(town, case_id: str, headers: dict[str, str]) -> list[dict]:  # type: ignore[no-untyped-def]
    answer = await town.client.get(f"/cases/{case_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return [step for step in answer.json()["timeline"] if step["action"] == "project"]


async def test_the_filer_follows_the_project_that_took_their_case_in_to_its_completion(town):
    villager = town.villager("villager-7")
    case = await town.file(villager)
    other = await town.file(town.villager("villager-8"))
    project_id = str(uuid.uuid4())
    cited = [case["id"], str(uuid.uuid4())]  # an id case intake does not keep is passed over
    await town.publish(
        project_step(ProjectDrafted, project_id, cited, None, "draft", 1),
        project_step(ProjectSubmitted, project_id, cited, "draft", "submitted", 2),
        project_step(ProjectDeliberated, project_id, cited, "screened", "deliberated", 3),
        project_step(ProjectNoticed, project_id, cited, "deliberated", "in_notice", 4),
        project_step(ProjectApproved, project_id, cited, "in_notice", "funded", 5),
        project_step(ProjectCompleted, project_id, cited, "in_progress", "accepted", 6),
    )

    async def all_heard() -> list[dict] | None:
        steps = await project_steps(town, case["id"], villager)
        return steps if len(steps) == 4 else None

    steps = await eventually(all_heard)
    assert [step["project"]["stage"] for step in steps] == ["submitted", "in_notice", "funded", "accepted"]
    assert {step["project"]["id"] for step in steps} == {project_id}
    assert {step["project"]["title"] for step in steps} == {"第1组饮水管网改造"}
    assert steps[0]["project"]["public_path"] is None  # not public before its notice
    assert steps[-1]["project"]["public_path"] == f"/project/{project_id}"
    assert all(step["to_status"] == step["from_status"] == case["status"] for step in steps)
    assert "completed" in steps[-1]["reason"] and steps[-1]["actor_role"] == "system"

    tracked = await town.client.get(f"/cases/track/{case['tracking_code']}")
    assert [s["project"]["stage"] for s in tracked.json()["timeline"] if s["action"] == "project"] == [
        "submitted",
        "in_notice",
        "funded",
        "accepted",
    ]
    assert await project_steps(town, other["id"], town.villager("villager-8")) == []


async def test_a_draft_withdrawn_before_it_was_proposed_is_not_news(town):
    villager = town.villager("villager-9")
    case = await town.file(villager)
    draft, proposed = str(uuid.uuid4()), str(uuid.uuid4())
    await town.publish(
        project_step(ProjectDrafted, draft, [case["id"]], None, "draft", 1),
        project_step(ProjectWithdrawn, draft, [case["id"]], "draft", "withdrawn", 2),
        project_step(ProjectSubmitted, proposed, [case["id"]], "draft", "submitted", 3),
        project_step(ProjectWithdrawn, proposed, [case["id"]], "submitted", "withdrawn", 4),
    )

    async def heard() -> list[dict] | None:
        steps = await project_steps(town, case["id"], villager)
        return steps if len(steps) == 2 else None

    steps = await eventually(heard)
    assert [(step["project"]["id"], step["project"]["stage"]) for step in steps] == [
        (proposed, "submitted"),
        (proposed, "withdrawn"),
    ]
