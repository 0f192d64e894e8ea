"""Concurrent approvals and disbursements never spend money the pool or the allocation does not have."""

import asyncio
from collections import Counter
from contextlib import AsyncExitStack
from datetime import timedelta

from tests.integration.test_funding_support import (
    create_draft,
    create_pool,
    many_in_notice,
    start_funding,
    step,
    to_notice,
)

TIME_LIMIT = 60


async def test_100_concurrent_approvals_against_a_pool_for_37_fund_exactly_37(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        f = await start_funding(stack, nats_server, databases, keys)
        pool = await create_pool(f, total="375000.00")
        ids = await many_in_notice(f, pool["id"], 100, budget="10000.00")
        f.clock.advance(timedelta(days=8))

        approvals = [f.client.post(f"/projects/{i}/approval", json={"note": "批准"}, headers=f.office) for i in ids]
        answers = await asyncio.wait_for(asyncio.gather(*approvals), TIME_LIMIT)

        assert Counter(answer.status_code for answer in answers) == {200: 37, 409: 63}
        assert all(answer.json()["status"] == "funded" for answer in answers if answer.status_code == 200)
        assert {answer.json()["type"] for answer in answers if answer.status_code == 409} == {
            "https://deputies-in-the-grid.example/problems/conflict"
        }
        books = (await f.client.get(f"/fund-pools/{pool['id']}/reconciliation", headers=f.finance)).json()
        assert books["balanced"], books["problems"]
        assert (books["funded_projects"], books["allocated"], books["available"]) == (37, "370000.00", "5000.00")
        assert books["entries"] == 1 + 37
        funded = await f.client.get("/projects", params={"status": "funded", "pool_id": pool["id"]}, headers=f.office)
        assert funded.json()["total"] == 37
        waiting = await f.client.get(
            "/projects", params={"status": "in_notice", "pool_id": pool["id"]}, headers=f.office
        )
        assert waiting.json()["total"] == 63


async def test_one_project_approved_ten_times_at_once_is_funded_once(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        f = await start_funding(stack, nats_server, databases, keys)
        pool = await create_pool(f)
        project = await create_draft(f, pool["id"])
        await to_notice(f, project["id"])
        f.clock.advance(timedelta(days=7))
        answers = await asyncio.wait_for(
            asyncio.gather(
                *[f.client.post(f"/projects/{project['id']}/approval", json={}, headers=f.office) for _ in range(10)]
            ),
            TIME_LIMIT,
        )
        assert Counter(answer.status_code for answer in answers) == {200: 1, 409: 9}
        books = (await f.client.get(f"/fund-pools/{pool['id']}/reconciliation", headers=f.finance)).json()
        assert books["balanced"] and books["allocated"] == "10000.00"


async def test_concurrent_disbursements_never_exceed_the_allocation(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        f = await start_funding(stack, nats_server, databases, keys)
        pool = await create_pool(f)
        project = await create_draft(f, pool["id"])
        await to_notice(f, project["id"])
        f.clock.advance(timedelta(days=7))
        await step(f, project["id"], "approval", {}, f.office)
        payments = [
            f.client.post(
                f"/projects/{project['id']}/disbursements",
                json={"amount": "300.00", "purpose": f"第{n}笔"},
                headers=f.finance,
            )
            for n in range(40)
        ]
        answers = await asyncio.wait_for(asyncio.gather(*payments), TIME_LIMIT)
        assert Counter(answer.status_code for answer in answers) == {201: 33, 409: 7}
        read = (await f.client.get(f"/projects/{project['id']}", headers=f.office)).json()
        assert read["money"] == {
            "allocated": "10000.00",
            "disbursed": "9900.00",
            "released": "0.00",
            "balance": "100.00",
        }
        books = (await f.client.get(f"/fund-pools/{pool['id']}/reconciliation", headers=f.finance)).json()
        assert books["balanced"] and books["disbursed"] == "9900.00"
