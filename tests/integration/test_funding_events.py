"""Through real NATS: cases filed at case intake become citable evidence here, and a completed project
is published on the FUNDING stream with the cases it answered."""

import json
from contextlib import AsyncExitStack
from datetime import timedelta

from sqlalchemy import select

from services.micro_funding.models import KnownCase, KnownGrid
from shared.auth import Role
from shared.clock import MovableClock
from tests.integration.city import build_city, case_body
from tests.integration.test_funding_support import START
from tests.support import eventually, start_service

COMPLETED = "funding.project.completed.v2"


async def _known(funding, model, key: str) -> bool:
    async with funding.runtime.maker() as session:
        return (await session.execute(select(model.id).where(model.id == key))).first() is not None


async def _last_completed(funding) -> dict | None:
    try:
        message = await funding.runtime.bus.js.get_last_msg("FUNDING", COMPLETED)
    except Exception:
        return None
    return json.loads(message.data)


async def test_a_case_filed_at_intake_is_cited_and_its_project_completion_is_published(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        city = await build_city(stack, nats_server, databases, keys)
        settings = databases.settings("micro_funding", nats_server.url, keys.public)
        funding = await start_service(stack, "micro_funding", settings)
        funding.runtime.clock = clock = MovableClock(START)
        case = (await city.case_intake.client.post("/cases", json=case_body(city))).json()
        await eventually(lambda: _known(funding, KnownCase, case["id"]))
        await eventually(lambda: _known(funding, KnownGrid, city.group_id))

        finance, office = keys.headers(Role.finance), keys.headers(Role.npc_office)
        staff, deputy = keys.headers(Role.station_staff), city.deputy_headers
        amounts = {"total": "100000.00", "service_cap": "50000.00", "goods_cap": "50000.00", "works_cap": "80000.00"}
        pool = await funding.client.post("/fund-pools", json={"year": 2026, "name": "专项", **amounts}, headers=finance)
        draft = {
            "pool_id": pool.json()["id"],
            "kind": "works",
            "title": "清理河道淤积",
            "description": "清理韶阳村段河道淤积 800 米。",
            "beneficiaries": "韶阳村第1组沿河住户",
            "beneficiary_count": 60,
            "grid_ids": [city.group_id],
            "case_ids": [case["id"]],
            "budget_lines": [{"item": "清淤", "amount": "30000.00"}, {"item": "运输", "amount": "5000.00"}],
        }
        project = await funding.client.post("/projects", json=draft, headers=deputy)
        assert project.status_code == 201, project.text
        pid = project.json()["id"]
        path = f"/projects/{pid}"
        await funding.client.post(f"{path}/submission", headers=deputy)
        await funding.client.post(f"{path}/screening", json={"decision": "pass"}, headers=staff)
        vote = {"review": "同意", "votes_for": 7, "votes_against": 0}
        await funding.client.post(f"{path}/deliberation", json=vote, headers=office)
        await funding.client.post(f"{path}/notice", json={"days": 7}, headers=office)
        clock.advance(timedelta(days=7))
        assert (await funding.client.post(f"{path}/approval", json={}, headers=office)).status_code == 200
        progress = {"month": "2026-04", "percent": 100, "note": "完工"}
        assert (await funding.client.post(f"{path}/progress", json=progress, headers=deputy)).status_code == 201
        accepted = await funding.client.post(f"{path}/acceptance", json={"report": "验收合格"}, headers=office)
        assert accepted.json()["status"] == "accepted"

        event = await eventually(lambda: _last_completed(funding))
        assert event["type"] == COMPLETED and event["subject"] == pid
        assert event["data"]["case_ids"] == [case["id"]]
        assert event["data"]["deputy_ids"] == [city.deputy_id]
        assert event["data"]["budget"] == "35000.00"
