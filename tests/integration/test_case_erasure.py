"""A villager erased (PIPL), their download and the retention sweep, tried from outside on the real bus and
database: after identity.person.erased.v1 their phone number, name and account are in no table of case intake
(every column of every table read back), their photos and points are gone, and yet the figures count their
cases and the deputy still has the anonymised case; `GET /me/data` gives a villager their own things only; a
finished case past the retention period keeps no contact, photo or point."""

import json
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import nats
import pytest
from sqlalchemy import func, inspect, select, text

from services.case_intake.logic.retention import sweep_retention
from services.case_intake.models import Case, CaseSupporter, Photo, Recording
from shared.auth import Role
from shared.clock import MovableClock
from shared.messaging.catalogue import PersonErased, envelope
from shared.messaging.envelope import CloudEvent
from shared.privacy import ERASED_WORDS
from tests.integration import audio
from tests.integration.city import GROUP_CENTRE, City, build_city
from tests.integration.test_case_photos import jpeg
from tests.integration.test_gateway_harness import served
from tests.support import eventually

PHONE = "13812345678"
NAME = "王小明"
ACCOUNT = "villager-to-erase"
NEIGHBOUR = "villager-neighbour"
REPLAYED_TABLES = (
    "cases",
    "case_transitions",
    "case_supporters",
    "photos",
    "recordings",
    "idempotency_keys",
    "audit_log",
)


@pytest.fixture
async def city(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        built = await build_city(stack, nats_server, databases, keys)
        await stack.enter_async_context(served(built.grid.app, built.grid_port, lifespan=False))  # points
        yield built


def villager(keys, subject: str, key: str | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    headers = keys.headers(Role.villager, subject=subject)
    return {**headers, "Idempotency-Key": key} if key else headers


async def upload(city: City, headers: dict[str, str]) -> str:
    answer = await city.case_intake.client.post(
        "/photos", files={"file": ("a.jpg", jpeg(), "image/jpeg")}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


async def speak(city: City, headers: dict[str, str]) -> str:
    """A voice note (Opus in Ogg) uploaded as `headers`; its id."""
    answer = await city.case_intake.client.post(
        "/recordings", files={"file": ("v.ogg", audio.ogg(1), "audio/ogg")}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


async def file(city: City, headers: dict[str, str], **fields: object) -> dict:
    body = {"kind": "request", "category": "water", "grid_id": city.group_id, **fields}
    answer = await city.case_intake.client.post("/cases", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def act(city: City, case_id: str, action: str, headers: dict[str, str], body: dict | None = None) -> dict:
    answer = await city.case_intake.client.post(f"/cases/{case_id}/{action}", json=body or {}, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def dump(city: City, tables: tuple[str, ...] | None = None) -> dict[str, list[dict]]:
    """Every row of every table of the database (or of `tables`), as the driver returns it."""
    async with city.case_intake.runtime.engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        rows = {}
        for name in sorted(tables or names):
            result = await connection.execute(text(f'SELECT * FROM "{name}"'))
            rows[name] = [dict(row) for row in result.mappings()]
    return rows


def places_of(rows: dict[str, list[dict]], needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) wherever a needle is in a text, a JSON value or a blob."""
    found = []
    for table, items in rows.items():
        for row in items:
            for column, value in row.items():
                if value is None:
                    continue
                if isinstance(value, bytes | memoryview):
                    data = bytes(value)
                    found += [(table, column, n) for n in needles if n.encode() in data]
                    continue
                shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
                found += [(table, column, n) for n in needles if n in shown]
    return found


NEEDLES = [PHONE, "138 1234 5678", NAME, json.dumps(NAME)[1:-1], ACCOUNT]
"""The number (and as the villager typed it), the name (and as JSON escapes it), the account."""


async def publish(city: City, url: str, event: CloudEvent, message_id: str | None = None) -> None:
    """As the gateway's relay publishes it (the operator's user may publish any event)."""
    connection = await nats.connect(url)
    try:
        stream = connection.jetstream()
        await stream.publish(
            event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": message_id or event.id}
        )
    finally:
        await connection.close()


async def drained(url: str) -> bool:
    """The IDENTITY stream keeps a message until every consumer acknowledged it: empty once case intake did."""
    connection = await nats.connect(url)
    try:
        return (await connection.jetstream().stream_info("IDENTITY")).state.messages == 0
    finally:
        await connection.close()


async def test_an_erased_villager_leaves_no_number_name_photo_or_point_and_their_cases_still_count(
    city, keys, nats_server
):
    client, office = city.case_intake.client, keys.headers(Role.npc_office, subject="office-1")
    staff = {**keys.headers(Role.station_staff, subject="staff-1"), "Idempotency-Key": "staff-filing-0001"}
    mine = villager(keys, ACCOUNT)
    city.case_intake.runtime.policy.publish_v1_events = True  # v1's `summary`: the start of the villager's words
    photo, loose = await upload(city, mine), await upload(city, mine)  # one filed, one never attached
    voice, loose_voice = await speak(city, mine), await speak(city, mine)
    own = await file(
        city,
        villager(keys, ACCOUNT, "own-filing-0001"),
        description=f"水管破了，请打 138 1234 5678 找{NAME}",
        contact_phone=PHONE,
        contact_name=NAME,
        contact_preference="phone",
        location=GROUP_CENTRE,
        photo_ids=[photo],
        recording_id=voice,
    )
    for_them = await file(
        city,
        staff,
        channel="phone",
        description=f"{NAME}来电：路灯坏了",
        contact_phone="+86" + PHONE,
        contact_name=NAME,
        location=GROUP_CENTRE,
    )
    theirs = await file(  # a neighbour's case, whose words give the number: it stays, without the number
        city, villager(keys, NEIGHBOUR), description=f"井盖丢了，也可以打{PHONE}问", contact_phone="13900001111"
    )
    metoo = await client.post(
        f"/cases/{theirs['id']}/support", json={"note": "我家门口也是"}, headers=villager(keys, ACCOUNT, "metoo-0001")
    )
    assert metoo.status_code == 201, metoo.text
    await act(city, own["id"], "accept", city.deputy_headers)
    await act(city, own["id"], "resolve", city.deputy_headers, {"resolution": f"已联系{NAME}，水管修好了"})
    await act(city, own["id"], "confirm", mine, {"rating": "satisfied", "comment": "修得很快，谢谢"})
    figures = (await client.get("/statistics", params={"grid_id": city.group_id}, headers=office)).json()
    assert figures["cases"] == 3 and figures["rated"] == 1
    assert len(places_of(await dump(city), [PHONE, NAME, ACCOUNT])) > 5  # the search finds them before

    erasure = PersonErased(
        erasure_id=str(uuid.uuid4()),
        account_id=ACCOUNT,
        phone=PHONE,
        requested_by="office-1",
        at=datetime.now(UTC),
    )
    event = envelope("/gateway", erasure)
    await publish(city, nats_server.url, event)

    async def erased() -> bool:
        async with city.case_intake.runtime.maker() as session:
            return (await session.get(Case, own["id"])).description == ERASED_WORDS  # type: ignore[union-attr]

    await eventually(erased)
    after = await dump(city)
    assert places_of(after, NEEDLES) == []
    async with city.case_intake.runtime.maker() as session:
        assert (await session.execute(select(func.count()).select_from(Photo))).scalar_one() == 0
        assert (await session.execute(select(func.count()).select_from(Recording))).scalar_one() == 0
        for case_id in (own["id"], for_them["id"]):
            case = await session.get(Case, case_id)
            assert case is not None and (case.location_lat, case.location_lon) == (None, None)
            assert (case.contact_phone, case.contact_name, case.contact_preference) == (None, None, "none")
            assert case.grid_id == city.group_id and case.submitted_by is None
        neighbours = await session.get(Case, theirs["id"])
        assert neighbours is not None and neighbours.contact_phone == "13900001111"
        assert neighbours.description == "井盖丢了，也可以打***********问"
        supporters = (await session.execute(select(CaseSupporter.supporter))).scalars().all()
        assert supporters == [None]  # the "me too" still counts, nobody's
    assert loose not in json.dumps(after, default=str) and loose_voice not in json.dumps(after, default=str)
    legacy = [json.loads(row["body"]) for row in after["outbox"] if row["event_type"] == "case.case.submitted.v1"]
    assert {event["data"]["case_id"]: event["data"]["summary"] for event in legacy} == {
        own["id"]: ERASED_WORDS,
        for_them["id"]: ERASED_WORDS,
        theirs["id"]: "井盖丢了，也可以打***********问",
    }

    # the figures count the same cases, the board the same "me too", the deputy still works with the case
    assert (await client.get("/statistics", params={"grid_id": city.group_id}, headers=office)).json() == figures
    board = (await client.get(f"/board/{city.group_id}/cases")).json()["items"]
    assert {item["id"]: item["supporters"] for item in board}[theirs["id"]] == 1
    seen = await client.get(f"/cases/{own['id']}", headers=city.deputy_headers)
    assert seen.status_code == 200, seen.text
    case = seen.json()
    assert (case["description"], case["location"], case["photos"]) == (ERASED_WORDS, None, [])
    assert case["recording"] is None
    assert (await client.get(f"/recordings/{voice}", headers=city.deputy_headers)).status_code == 404
    assert (case["status"], case["rating"], case["kind"], case["category"]) == (
        "closed",
        "satisfied",
        "request",
        "water",
    )
    steps = {step["action"]: step for step in case["timeline"]}
    assert list(steps) == ["submit", "route", "accept", "resolve", "confirm"]
    assert (steps["confirm"]["reason"], steps["confirm"]["note"]) == (
        "群众确认问题解决了，评价：满意",  # without their comment
        None,
    )
    assert steps["resolve"]["reason"] == "已办好（办结）：已联系某某，水管修好了"  # the deputy's words, no name
    contact = (await client.get(f"/cases/{own['id']}/contact", headers=city.deputy_headers)).json()
    assert contact == {"phone": None, "name": None, "preference": "none"}
    filer = {"X-Filer-Key": for_them["filer_key"]}  # the caller's key no longer opens the case
    withdraw = await client.post(f"/cases/track/{for_them['tracking_code']}/withdraw", json={}, headers=filer)
    assert withdraw.status_code == 403
    assert (await client.get("/me/data", headers=mine)).json()["cases"] == []

    entries = (await client.get("/audit", params={"action": "person.erased"}, headers=office)).json()["items"]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["actor_id"], entry["actor_roles"], entry["target_id"]) == (
        "office-1",
        ["npc_office"],
        erasure.erasure_id,
    )
    assert entry["detail"]["cases"] == 2 and entry["detail"]["photos"] == 2 and entry["detail"]["supports"] == 1
    assert entry["detail"]["recordings"] == 2
    assert PHONE not in json.dumps(entry)

    # the same event again (JetStream takes it under another message id): the inbox applies it once
    await eventually(lambda: drained(nats_server.url))
    before_replay = await dump(city, REPLAYED_TABLES)
    await publish(city, nats_server.url, event, message_id=str(uuid.uuid4()))
    await eventually(lambda: drained(nats_server.url))
    assert await dump(city, REPLAYED_TABLES) == before_replay


async def test_my_data_is_the_callers_own_and_needs_a_token(city, keys):
    client = city.case_intake.client
    mine, neighbour = villager(keys, "villager-me"), villager(keys, NEIGHBOUR)
    photo, voice = await upload(city, mine), await speak(city, mine)
    own = await file(
        city,
        mine,
        description="路灯不亮",
        contact_phone=PHONE,
        contact_name=NAME,
        location=GROUP_CENTRE,
        photo_ids=[photo],
        recording_id=voice,
    )
    other = await file(city, neighbour, description="邻居的私事", contact_phone="13900001111", contact_name="李四")
    await client.post(f"/cases/{other['id']}/support", json={"note": "我也是"}, headers=mine)
    await act(city, own["id"], "accept", city.deputy_headers)
    await act(city, own["id"], "resolve", city.deputy_headers, {"resolution": "换了灯泡"})
    await act(city, own["id"], "confirm", mine, {"rating": "basically_satisfied", "comment": "还行"})

    answer = await client.get("/me/data", headers=mine)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["account"] == "villager-me"
    assert [case["id"] for case in data["cases"]] == [own["id"]]
    case = data["cases"][0]
    assert case["contact"] == {"phone": PHONE, "name": NAME, "preference": "none"}
    assert case["location"] == GROUP_CENTRE and [step["action"] for step in case["timeline"]][0] == "submit"
    assert [(item["id"], item["case_id"]) for item in data["photos"]] == [(photo, own["id"])]
    assert data["photos"][0]["bytes"] > 0 and "image" not in data["photos"][0]
    assert [(item["id"], item["case_id"], item["content_type"]) for item in data["recordings"]] == [
        (voice, own["id"], "audio/ogg")
    ]
    assert data["recordings"][0]["bytes"] > 0 and data["recordings"][0]["duration_ms"] >= 900
    assert "content" not in data["recordings"][0] and case["recording"]["id"] == voice
    assert [(item["case_id"], item["from_merge"]) for item in data["supports"]] == [(other["id"], False)]
    assert [(item["case_id"], item["rating"], item["comment"]) for item in data["ratings"]] == [
        (own["id"], "basically_satisfied", "还行")
    ]
    assert {"support", "submit", "confirm"} <= {step["action"] for step in data["steps"]}
    assert [step["note"] for step in data["steps"] if step["action"] == "support"] == ["我也是"]
    shown = answer.text
    assert "邻居的私事" not in shown and "13900001111" not in shown and "李四" not in shown

    theirs = (await client.get("/me/data", headers=neighbour)).json()
    assert [case["id"] for case in theirs["cases"]] == [other["id"]]
    assert own["id"] not in json.dumps(theirs) and PHONE not in json.dumps(theirs)
    assert (await client.get("/me/data")).status_code == 401
    assert (await client.get("/me/data", headers={"Authorization": "Bearer not-a-token"})).status_code == 401


async def test_a_finished_case_past_the_retention_period_keeps_no_contact_photo_or_point(city, keys):
    runtime = city.case_intake.runtime
    clock = runtime.clock = MovableClock(datetime(2026, 3, 2, 2, tzinfo=UTC))
    retention = timedelta(days=runtime.settings.personal_data_retention_days)
    mine = villager(keys, "villager-old")
    contact = {"contact_phone": PHONE, "contact_name": NAME, "location": GROUP_CENTRE}
    closed = await file(
        city,
        villager(keys, "villager-old", "old-filing-1"),
        description="老问题",
        photo_ids=[await upload(city, mine)],
        recording_id=await speak(city, mine),
        **contact,
    )
    await act(city, closed["id"], "accept", city.deputy_headers)
    await act(city, closed["id"], "resolve", city.deputy_headers, {"resolution": "处理完毕"})
    await act(city, closed["id"], "confirm", mine, {"rating": "satisfied"})
    clock.advance(timedelta(days=100))
    withdrawn = await file(city, mine, description="后来撤回的", **contact)
    await act(city, withdrawn["id"], "withdraw", mine)
    still_open = await file(city, mine, description="还在办的", **contact)

    async def kept(case_id: str) -> tuple:
        async with runtime.maker() as session:
            case = await session.get(Case, case_id)
            assert case is not None
            photos = (await session.execute(select(func.count()).where(Photo.case_id == case_id))).scalar_one()
            voices = (await session.execute(select(func.count()).where(Recording.case_id == case_id))).scalar_one()
            return (case.contact_phone, case.contact_name, case.location_lat, photos + voices, case.description)

    assert await sweep_retention(runtime, MovableClock(clock.now() + timedelta(days=1))) == 0  # nothing so old
    assert (await kept(closed["id"]))[3] == 2  # its photo and its voice note, until the sweep
    clock.current = datetime(2026, 3, 2, 2, tzinfo=UTC) + retention + timedelta(days=1)
    assert await sweep_retention(runtime, clock) == 1
    assert await kept(closed["id"]) == (None, None, None, 0, "老问题")  # the description stays
    assert await kept(withdrawn["id"]) == (PHONE, NAME, GROUP_CENTRE["lat"], 0, "后来撤回的")  # finished 100 days later
    async with runtime.maker() as session:
        answers = runtime.tables.idempotency
        assert (await session.execute(select(func.count()).select_from(answers))).scalar_one() == 0  # its stored answer
    read = (await city.case_intake.client.get(f"/cases/{closed['id']}", headers=mine)).json()
    assert (read["status"], read["rating"], read["location"], read["contact_phone_masked"]) == (
        "closed",
        "satisfied",
        None,
        None,
    )

    clock.advance(timedelta(days=100))
    assert await sweep_retention(runtime, clock) == 1
    assert await kept(withdrawn["id"]) == (None, None, None, 0, "后来撤回的")
    assert await kept(still_open["id"]) == (PHONE, NAME, GROUP_CENTRE["lat"], 0, "还在办的")  # not finished: kept
    assert await sweep_retention(runtime, clock) == 0
