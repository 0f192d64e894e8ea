"""A micro-project that carries out a deputies' suggestion, over the real bus between micro_funding and the
deputy service: the proposal cites the suggestion, funding.project.submitted.v2 and completed.v2 carry it, and
the suggestion shows the project (to its deputies at once, to the public once completed) and its completion. A
project citing somebody else's suggestion is not shown on it."""

import dataclasses
import json
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from sqlalchemy import select

from shared.auth import Role
from tests.integration.test_deputy_suggestion_files import pdf_text
from tests.integration.test_funding_support import (
    create_draft,
    create_pool,
    facilities_case,
    feed,
    new_id,
    start_funding,
    step,
    to_notice,
)
from tests.support import eventually, start_service


@pytest.fixture
async def both(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        funding = await start_funding(stack, nats_server, databases, keys)
        deputy = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        yield funding, deputy


async def suggested(deputy, keys, code: str, title: str) -> tuple[str, dict]:  # type: ignore[no-untyped-def]
    """A deputy registered, and their suggestion submitted and accepted; the deputy's id and headers."""
    office = keys.headers(Role.npc_office, subject="office-1")
    body = {"code": code, "name": f"代表{code}", "level": "township", "district": "第0101选区"}
    deputy_id = (await deputy.client.post("/deputies", json=body, headers=office)).json()["id"]
    headers = keys.headers(Role.deputy, deputy_id=deputy_id, subject=f"deputy-{code}")
    draft = {"title": title, "problem": "电动车在楼道充电", "proposal": "统一建设充电桩"}
    answer = await deputy.client.post("/suggestions", json=draft, headers=headers)
    assert answer.status_code == 201, answer.text
    sid = answer.json()["id"]
    for action, who in (("submit", headers), ("accept", office)):
        assert (await deputy.client.post(f"/suggestions/{sid}/{action}", json={}, headers=who)).status_code == 200
    return sid, {"id": deputy_id, "headers": headers}


async def test_a_project_citing_a_suggestion_shows_on_it_with_its_completion(both, keys):
    f, deputy = both
    sid, lead = await suggested(deputy, keys, "P1", "老旧小区加装充电桩")
    others, _ = await suggested(deputy, keys, "P2", "村道照明")
    case_id = new_id()
    await feed(f.service, facilities_case(case_id, f.group_id, [lead["id"]]))
    f = dataclasses.replace(f, deputy_id=lead["id"], case_id=case_id)  # the suggestion's deputy proposes

    pool = await create_pool(f)
    project = await create_draft(f, pool["id"], suggestion_id=sid)
    pid = project["id"]
    assert project["suggestion_id"] == sid
    hung = (await create_draft(f, pool["id"], title="别人的建议", suggestion_id=others))["id"]
    await step(f, hung, "submission", None, f.deputy)
    await to_notice(f, pid, days=5)

    async def shown(suggestion_id: str, headers: dict | None, completed: bool = False) -> list | None:
        read = (await deputy.client.get(f"/suggestions/{suggestion_id}", headers=headers or {})).json()
        projects = read["projects"]
        done = [item for item in projects if item["completed_at"]]
        return projects if projects and (done or not completed) else None

    listed = await eventually(lambda: shown(sid, lead["headers"]))
    assert [(item["project_id"], item["title"], item["status"], item["completed_at"]) for item in listed] == [
        (pid, "老旧小区充电桩", "submitted", None)
    ]
    assert (await deputy.client.get(f"/suggestions/{sid}")).json()["projects"] == []  # the public: once completed

    f.clock.advance(timedelta(days=5))
    funded = await step(f, pid, "approval", {"note": "批准"}, f.office)
    progress = {"month": "2026-05", "percent": 100, "note": "安装完成"}
    milestone = funded["milestones"][0]["id"]
    await step(f, pid, "progress", {**progress, "completed_milestone_ids": [milestone]}, f.deputy, expect=201)
    await step(f, pid, "acceptance", {"report": "验收合格"}, f.staff)

    public = await eventually(lambda: shown(sid, None, completed=True))
    assert [(item["project_id"], item["status"]) for item in public] == [(pid, "accepted")]
    assert public[0]["completed_at"] is not None
    office = keys.headers(Role.npc_office, subject="office-1")
    assert (await deputy.client.get(f"/suggestions/{others}", headers=office)).json()["projects"] == []
    filed = pdf_text((await deputy.client.get(f"/suggestions/{sid}/document.pdf", headers=office)).content)
    assert "据此实施的民生微实事" in filed and "老旧小区充电桩" in filed  # and on the suggestion's file
    table = f.service.runtime.tables.outbox
    async with f.service.runtime.maker() as session:
        rows = (await session.execute(select(table.c.event_type, table.c.body).order_by(table.c.seq))).all()
    carried = {(row.event_type, json.loads(row.body)["data"].get("project_id")): row for row in rows}
    for event_type in ("funding.project.submitted.v2", "funding.project.completed.v2"):
        assert json.loads(carried[(event_type, pid)].body)["data"]["suggestion_id"] == sid
    assert not any(row.event_type in ("funding.project.submitted.v1", "funding.project.completed.v1") for row in rows)
