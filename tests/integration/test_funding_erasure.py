"""A villager erased (PIPL): identity.person.erased.v1 through the broker removes what micro-funding keeps under
their account — their objection's words, the address it came from and the account; their rating's comment and
account — and keeps that they objected (and the ruling) and how they rated (the average). Also: the caller's
own data (GET /me/data)."""

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import nats
import pytest
from sqlalchemy import func, select

from services.micro_funding.models import Objection, Rating, tables
from shared.auth import Role
from shared.messaging.catalogue import PersonErased
from shared.privacy import ERASED_WORDS, phone_forms
from tests.integration.test_funding_support import Funding, create_draft, create_pool, start_funding, step, to_notice
from tests.integration.test_station_support import publish
from tests.support import eventually, found_in, text_dump

PHONE = "13812345678"
NAME = "毛秀英"
ERASED = "villager-erased"


@pytest.fixture
async def funding(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        f = await start_funding(stack, nats_server, databases, keys)
        nc = await nats.connect(nats_server.url)  # the operator's user: publishes as the gateway would
        stack.push_async_callback(nc.close)
        yield f, nc


def keyed(headers: dict[str, str]) -> dict[str, str]:
    """The request sent with an Idempotency-Key: its answer is stored."""
    return {**headers, "Idempotency-Key": str(uuid.uuid4())}


async def created(f: Funding, path: str, body: dict, headers: dict[str, str], expect: int = 201) -> dict:
    answer = await f.client.post(path, json=body, headers=headers)
    assert answer.status_code == expect, answer.text
    return answer.json()


async def _accepted(f: Funding, project_id: str) -> None:
    """A project on notice approved, delivered and accepted: villagers may rate it."""
    f.clock.advance(timedelta(days=7))
    funded = await step(f, project_id, "approval", {"note": "批准"}, f.office)
    done = {
        "month": "2026-03",
        "percent": 100,
        "note": "安装完成",
        "completed_milestone_ids": [funded["milestones"][0]["id"]],
    }
    await step(f, project_id, "progress", done, f.deputy, expect=201)
    await step(f, project_id, "acceptance", {"report": "验收合格"}, f.staff)


async def _figures(f: Funding, objected: str, rated: str) -> dict:
    """What the notice's history and the public page show: the objections and their rulings, the ratings."""
    objections = (await f.client.get(f"/projects/{objected}/objections", headers=f.office)).json()
    public = (await f.client.get(f"/public/projects/{rated}")).json()
    steps = (await f.client.get(f"/projects/{rated}/steps", headers=f.office)).json()
    ratings = (await f.client.get(f"/projects/{rated}/ratings", headers=f.office)).json()
    return {
        "objections": sorted((item["id"], item["status"], item["ruling"]) for item in objections["items"]),
        "rating": (public["rating_average"], public["rating_count"]),
        "ratings": sorted((item["id"], item["score"]) for item in ratings["items"]),
        "steps": [(item["to_status"], item["role"]) for item in steps["items"]],
    }


async def _audited(f: Funding) -> list[dict]:
    answer = await f.client.get("/audit", params={"action": "person.erased"}, headers=f.office)
    return answer.json()["items"]


async def _erasures_applied(f: Funding) -> int:
    inbox = tables.inbox
    async with f.service.runtime.maker() as session:
        query = select(func.count()).where(inbox.c.event_type == PersonErased.event_type)
        return (await session.execute(query)).scalar_one()


async def test_an_erased_villager_leaves_no_words_or_account_and_the_notice_history_stays(funding):
    f, nc = funding
    erased, stranger = f.headers(Role.villager, subject=ERASED), f.headers(Role.villager, subject="villager-stranger")
    pool = await create_pool(f)
    objected = (await create_draft(f, pool["id"]))["id"]
    rated = (await create_draft(f, pool["id"], title="村口路灯"))["id"]
    await to_notice(f, objected)
    await to_notice(f, rated)
    path = f"/projects/{objected}/objections"
    mine = await created(f, path, {"text": f"选址离我家太近，请联系我{PHONE}"}, keyed(erased))
    theirs = await created(f, path, {"text": "这个项目不需要"}, keyed(stranger))
    ruling = {"upheld": False, "note": "选址经过论证"}
    ruled = await created(f, f"{path}/{mine['id']}/ruling", ruling, keyed(f.office), expect=200)
    assert ruled["text"] == f"选址离我家太近，请联系我{PHONE}"  # the stored answer carries their words
    await _accepted(f, rated)
    rating = await created(f, f"/projects/{rated}/ratings", {"score": 5, "comment": f"{NAME}：很满意"}, keyed(erased))
    other = await created(f, f"/projects/{rated}/ratings", {"score": 2, "comment": "一般"}, keyed(stranger))

    before = await text_dump(f.service.runtime.engine)
    assert found_in(before, PHONE) and found_in(before, NAME) and found_in(before, ERASED)
    assert found_in({name: before[name] for name in ("audit_log", "outbox")}, *phone_forms(PHONE), NAME, ERASED) == []
    figures = await _figures(f, objected, rated)
    assert figures["rating"] == (3.5, 2) and len(figures["objections"]) == 2
    data = (await f.client.get("/me/data", headers=erased)).json()
    assert [(item["id"], item["project_title"], item["status"]) for item in data["objections"]] == [
        (mine["id"], "老旧小区充电桩", "dismissed")
    ]
    assert [(item["id"], item["score"], item["project_title"]) for item in data["ratings"]] == [
        (rating["id"], 5, "村口路灯")
    ]

    await eventually(lambda: _ready(f))
    erasure = PersonErased(
        erasure_id=str(uuid.uuid4()), account_id=ERASED, phone=PHONE, requested_by="office-1", at=datetime.now(UTC)
    )
    await publish(nc, erasure, "gateway")
    entries = await eventually(lambda: _audited(f))
    assert [(entry["actor_id"], entry["actor_roles"], entry["target_id"]) for entry in entries] == [
        ("office-1", ["npc_office"], erasure.erasure_id)
    ]
    assert entries[0]["detail"] == {
        "erasure_id": erasure.erasure_id,
        "objections": 1,
        "ratings": 1,
        "steps": 1,
        "idempotency_keys": 3,
    }

    after = await text_dump(f.service.runtime.engine)
    assert found_in(after, *phone_forms(PHONE), NAME, ERASED) == []
    assert await _figures(f, objected, rated) == figures
    listed = (await f.client.get(path, headers=f.office)).json()["items"]
    assert sorted((item["id"], item["text"]) for item in listed) == sorted(
        [(mine["id"], ERASED_WORDS), (theirs["id"], "这个项目不需要")]
    )
    async with f.service.runtime.maker() as session:
        kept = await session.get(Objection, mine["id"])
        assert kept is not None and (kept.objector, kept.address, kept.status) == (None, None, "dismissed")
        assert (await session.get(Objection, theirs["id"])).objector == "villager-stranger"
        anonymous = await session.get(Rating, rating["id"])
        assert anonymous is not None and (anonymous.rater, anonymous.comment, anonymous.score) == (None, "", 5)
        assert (await session.get(Rating, other["id"])).comment == "一般"
        scopes = (await session.execute(select(tables.idempotency.c.scope))).scalars().all()
    assert sorted(scope.split(":")[0] for scope in scopes) == ["villager-stranger", "villager-stranger"]

    assert (await f.client.get("/me/data", headers=erased)).json() == {
        "account_id": ERASED,
        "objections": [],
        "ratings": [],
    }
    data = (await f.client.get("/me/data", headers=stranger)).json()
    assert [item["id"] for item in data["objections"]] == [theirs["id"]]
    assert [(item["id"], item["comment"]) for item in data["ratings"]] == [(other["id"], "一般")]

    again = PersonErased.model_validate(erasure.model_dump())
    await publish(nc, again, "gateway")  # a new event id: the inbox does not know it
    await eventually(lambda: _twice(f))
    replayed = await text_dump(f.service.runtime.engine)
    assert {**replayed, "inbox": []} == {**after, "inbox": []}  # the inbox notes the event; nothing else changed
    assert len(await _audited(f)) == 1


async def _ready(f: Funding) -> bool:
    """Every consumer is there (an IDENTITY message keeps only for the consumers that exist when it arrives)."""
    return (await f.client.get("/readyz")).status_code == 200


async def _twice(f: Funding) -> bool:
    return await _erasures_applied(f) == 2


async def test_my_data_is_only_mine_and_needs_a_token(funding):
    f, _ = funding
    pool = await create_pool(f)
    project = (await create_draft(f, pool["id"]))["id"]
    await to_notice(f, project)
    me, stranger = f.headers(Role.villager, subject="villager-me"), f.headers(Role.villager, subject="villager-x")
    mine = await created(f, f"/projects/{project}/objections", {"text": "离小学太近"}, me)
    await created(f, f"/projects/{project}/objections", {"text": "陌生人的意见"}, stranger)

    answer = await f.client.get("/me/data", headers=me)
    assert answer.status_code == 200
    assert answer.json() == {
        "account_id": "villager-me",
        "objections": [
            {
                "id": mine["id"],
                "project_id": project,
                "project_title": "老旧小区充电桩",
                "text": "离小学太近",
                "status": "pending",
                "ruling": None,
                "raised_at": mine["raised_at"],
                "ruled_at": None,
            }
        ],
        "ratings": [],
    }
    assert (await f.client.get("/me/data", headers=f.office)).json()["objections"] == []
    assert (await f.client.get("/me/data")).status_code == 401
