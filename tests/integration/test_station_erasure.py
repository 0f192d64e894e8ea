"""A villager erased (PIPL): identity.person.erased.v1 through the broker removes what the station keeps under
their account or phone — their booking, a walk-in the desk registered under their number, their name and number
in the station's minutes and in the outbox — and keeps the places and minutes its figures count. Also: the
caller's own data (GET /me/data) and the retention sweep of visitors' contact data."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from services.station_scheduling.logic.retention import forget_expired_contacts, sweep
from services.station_scheduling.models import tables
from shared.auth import Role
from shared.clock import MovableClock
from shared.messaging.catalogue import PersonErased
from shared.privacy import ERASED_WORDS, phone_forms
from tests.integration.test_station_support import grid_id, publish, session_body, world_fixture  # noqa: F401
from tests.support import eventually, found_in, text_dump

PHONE = "13812345678"
NAME = "毛秀英"
ERASED = "villager-erased"  # the token subject of world.villager("erased")
MASKED = "*" * len(PHONE)


def keyed(headers: dict[str, str]) -> dict[str, str]:
    """The request sent with an Idempotency-Key: its answer is stored."""
    return {**headers, "Idempotency-Key": str(uuid.uuid4())}


def record_body(booking_id: str, **fields: str) -> dict:
    return {"booking_id": booking_id, "grid_id": grid_id("T1V1G1"), "kind": "request", "category": "rivers", **fields}


async def _visits(world) -> dict:  # type: ignore[no-untyped-def]
    """A held session: the villager's own booking, a walk-in under their number, a stranger's and a neighbour's
    bookings, and the station's minutes of them."""
    session = await world.created("/sessions", session_body(world))
    path = f"/sessions/{session['id']}"
    erased, stranger, neighbour = world.villager("erased"), world.villager("stranger"), world.villager("neighbour")
    own = await world.created(f"{path}/bookings", {"topic": f"门前水沟堵塞，回电{PHONE}"}, keyed(erased))
    theirs = await world.created(f"{path}/bookings", {"topic": "村道路灯不亮"}, keyed(stranger))
    await world.created(f"{path}/bookings", {"topic": f"帮邻居问水沟的事（邻居电话{PHONE}）"}, neighbour)
    walk_in_body = {"topic": "水沟", "visitor_name": NAME, "visitor_phone": "+86" + PHONE}
    walk_in = await world.created(f"{path}/walk-ins", walk_in_body, keyed(world.staff))
    world.clock.advance(timedelta(days=7, hours=1, minutes=10))  # Monday 9 March, 09:10 in Asia/Shanghai
    follow_up = {"outcome": "follow_up", "route": "township", "discussed": "代表答应联系水利站"}
    raised = f"{NAME}（电话{PHONE}）反映门前水沟堵塞"
    first = record_body(own["id"], raised=raised, summary=f"{NAME}反映门前水沟堵塞", **follow_up)
    about_own = await world.created(f"{path}/records", first, keyed(world.staff))
    again = record_body(walk_in["id"], raised=f"{NAME}再次反映水沟", summary=f"{NAME}家门前水沟堵塞", **follow_up)
    about_walk_in = await world.created(f"{path}/records", again, keyed(world.staff))
    mention = f"邻居{NAME}（{PHONE}）家的水沟也堵了；路灯已报修"
    answered = record_body(theirs["id"], raised=mention, answer="已转告村委会", outcome="answered", summary="路灯不亮")
    about_theirs = await world.created(f"{path}/records", answered, keyed(world.staff))
    assert (await world.client.post(f"{path}/held", headers=world.staff)).status_code == 200
    return {
        "session": session,
        "own": own,
        "theirs": theirs,
        "walk_in": walk_in,
        "records": (about_own, about_walk_in, about_theirs),
    }


async def _figures(world, session_id: str) -> dict:  # type: ignore[no-untyped-def]
    """What the station counts: its statistics, the session's places, its bookings and records."""
    period = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    statistics = await world.client.get(f"/stations/{world.station_id}/statistics", params=period)
    announced = (await world.client.get(f"/sessions/{session_id}")).json()
    bookings = await world.client.get(f"/sessions/{session_id}/bookings", headers=world.staff)
    records = await world.client.get("/records", params={"session_id": session_id}, headers=world.staff)
    return {
        "statistics": statistics.json(),
        "places": (announced["confirmed"], announced["waitlisted"]),
        "bookings": sorted((item["id"], item["kind"], item["status"]) for item in bookings.json()["items"]),
        "records": sorted((item["id"], item["outcome"], item["case_id"]) for item in records.json()["items"]),
    }


async def _issue_summaries(world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """record id -> the summary its station.issue.raised.v1 carries in the outbox."""
    outbox = tables.outbox
    async with world.service.runtime.maker() as db:
        query = select(outbox.c.body).where(outbox.c.event_type == "station.issue.raised.v1")
        events = [json.loads(body)["data"] for body in (await db.execute(query)).scalars()]
    return {event["record_id"]: event["summary"] for event in events}


async def _erasures_applied(world) -> int:  # type: ignore[no-untyped-def]
    inbox = tables.inbox
    async with world.service.runtime.maker() as db:
        query = select(func.count()).where(inbox.c.event_type == PersonErased.event_type)
        return (await db.execute(query)).scalar_one()


async def _audited(world) -> list[dict]:  # type: ignore[no-untyped-def]
    office = world.keys.headers(Role.npc_office, subject="office-reader")
    answer = await world.client.get("/audit", params={"action": "person.erased"}, headers=office)
    return answer.json()["items"]


async def test_an_erased_villager_leaves_no_name_number_or_account_and_the_figures_stay(world):
    visits = await _visits(world)
    own, theirs, walk_in = visits["own"], visits["theirs"], visits["walk_in"]
    about_own, about_walk_in, about_theirs = visits["records"]
    session_id = visits["session"]["id"]
    assert about_walk_in["summary"] == "某某家门前水沟堵塞"  # the desk knew the name: it never goes public
    before = await text_dump(world.service.runtime.engine)
    assert found_in(before, PHONE) and found_in(before, NAME) and found_in(before, ERASED)
    assert found_in({"audit_log": before["audit_log"]}, *phone_forms(PHONE), NAME, ERASED) == []
    assert found_in({"outbox": before["outbox"]}, *phone_forms(PHONE)) == []
    # the booking events name the account that booked (its notices), never its number or name; erased below
    assert [table for table, _ in found_in({"outbox": before["outbox"]}, ERASED)] == ["outbox"]
    assert (await _issue_summaries(world))[about_own["id"]] == f"{NAME}反映门前水沟堵塞"  # not known then
    figures = await _figures(world, session_id)
    assert figures["statistics"]["visitors"] == 3 and figures["statistics"]["issues_raised"] == 3

    await eventually(lambda: _ready(world))
    erasure = PersonErased(
        erasure_id=str(uuid.uuid4()), account_id=ERASED, phone=PHONE, requested_by="office-1", at=datetime.now(UTC)
    )
    await publish(world.nc, erasure, "gateway")
    entries = await eventually(lambda: _audited(world))
    assert [(entry["actor_id"], entry["actor_roles"], entry["target_id"]) for entry in entries] == [
        ("office-1", ["npc_office"], erasure.erasure_id)
    ]
    assert entries[0]["detail"] == {
        "erasure_id": erasure.erasure_id,
        "bookings": 2,
        "records": 3,
        "topics": 1,
        "idempotency_keys": 5,
    }

    after = await text_dump(world.service.runtime.engine)
    assert found_in(after, *phone_forms(PHONE), NAME, ERASED) == []
    assert await _figures(world, session_id) == figures

    staff = world.staff
    erased_booking = (await world.client.get(f"/bookings/{own['id']}", headers=staff)).json()
    erased_walk_in = (await world.client.get(f"/bookings/{walk_in['id']}", headers=staff)).json()
    for booking in (erased_booking, erased_walk_in):
        assert (booking["topic"], booking["visitor_name_masked"], booking["visitor_phone_masked"]) == (
            ERASED_WORDS,
            None,
            None,
        )
        assert booking["status"] == "attended"
    records = {}
    for record in visits["records"]:
        records[record["id"]] = (await world.client.get(f"/records/{record['id']}", headers=staff)).json()
    assert records[about_own["id"]]["raised"] == f"某某（电话{MASKED}）反映门前水沟堵塞"
    assert records[about_own["id"]]["summary"] == "某某反映门前水沟堵塞"
    assert records[about_own["id"]]["discussed"] == "代表答应联系水利站"
    assert records[about_theirs["id"]]["raised"] == f"邻居某某（{MASKED}）家的水沟也堵了；路灯已报修"
    assert records[about_theirs["id"]]["answer"] == "已转告村委会"
    summaries = await _issue_summaries(world)
    assert summaries[about_own["id"]] == "某某反映门前水沟堵塞"
    assert summaries[about_walk_in["id"]] == "某某家门前水沟堵塞"

    stranger = (await world.client.get("/me/data", headers=world.villager("stranger"))).json()
    assert [(booking["id"], booking["topic"]) for booking in stranger["bookings"]] == [(theirs["id"], "村道路灯不亮")]
    neighbour = (await world.client.get("/me/data", headers=world.villager("neighbour"))).json()
    assert [booking["topic"] for booking in neighbour["bookings"]] == [f"帮邻居问水沟的事（邻居电话{MASKED}）"]
    mine = (await world.client.get("/me/data", headers=world.villager("erased"))).json()
    assert mine == {"account_id": ERASED, "bookings": []}
    async with world.service.runtime.maker() as db:
        scopes = (await db.execute(select(tables.idempotency.c.scope))).scalars().all()
    assert [scope.split(":")[0] for scope in scopes] == ["villager-stranger"]  # only the stranger's own answer

    again = PersonErased.model_validate(erasure.model_dump())
    await publish(world.nc, again, "gateway")  # a new event id: the inbox does not know it
    await eventually(lambda: _twice(world))
    replayed = await text_dump(world.service.runtime.engine)
    assert {**replayed, "inbox": []} == {**after, "inbox": []}  # the inbox notes the event; nothing else changed
    assert len(await _audited(world)) == 1


async def _ready(world) -> bool:  # type: ignore[no-untyped-def]
    """Every consumer is there (an IDENTITY message keeps only for the consumers that exist when it arrives)."""
    return (await world.client.get("/readyz")).status_code == 200


async def _twice(world) -> bool:  # type: ignore[no-untyped-def]
    return await _erasures_applied(world) == 2


async def test_my_data_is_my_bookings_with_their_sessions_and_needs_a_token(world):
    session = await world.created("/sessions", session_body(world))
    path = f"/sessions/{session['id']}"
    mine = await world.created(f"{path}/bookings", {"topic": "水费"}, world.villager("me"))
    await world.created(f"{path}/bookings", {"topic": "路灯"}, world.villager("stranger"))
    await world.created(f"{path}/walk-ins", {"topic": "低保", "visitor_name": "王五", "visitor_phone": PHONE})

    answer = await world.client.get("/me/data", headers=world.villager("me"))
    assert answer.status_code == 200
    data = answer.json()
    assert data["account_id"] == "villager-me"
    assert [(item["id"], item["topic"], item["status"]) for item in data["bookings"]] == [
        (mine["id"], "水费", "confirmed")
    ]
    facts = data["bookings"][0]["session"]
    assert (facts["id"], facts["station_id"], facts["station_name"]) == (
        session["id"],
        world.station_id,
        "一号乡人大代表联络站",
    )
    assert (facts["starts_at"], facts["topic"], facts["status"]) == (
        "2026-03-09T01:00:00Z",
        "水费与村务公开",
        "scheduled",
    )
    assert "路灯" not in answer.text and "王五" not in answer.text and PHONE not in answer.text
    staff_answer = (await world.client.get("/me/data", headers=world.staff)).json()
    assert staff_answer["bookings"] == []
    assert (await world.client.get("/me/data")).status_code == 401


async def test_contact_data_of_a_session_that_ended_long_ago_is_swept_and_the_visit_stays(world):
    first = await world.created("/sessions", session_body(world))
    later_times = {"starts_at": "2026-04-13T09:00:00+08:00", "ends_at": "2026-04-13T11:00:00+08:00"}
    later = await world.created("/sessions", session_body(world, **later_times))
    visitor = {"topic": "水沟", "visitor_name": NAME, "visitor_phone": PHONE}
    old = await world.created(f"/sessions/{first['id']}/walk-ins", visitor)
    recent = await world.created(f"/sessions/{later['id']}/walk-ins", visitor)
    booked = await world.created(f"/sessions/{first['id']}/bookings", {"topic": "水费"}, world.villager("a"))
    ended = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)  # the first session's end, 11:00 in Asia/Shanghai
    clock = MovableClock(ended + timedelta(days=30) - timedelta(minutes=1))
    runtime = world.service.runtime

    async def forget() -> int:
        async with runtime.maker() as db, db.begin():
            return await forget_expired_contacts(db, clock, 30)

    assert await forget() == 0
    clock.advance(timedelta(minutes=2))
    assert await forget() == 1
    assert await forget() == 0

    async def shown(booking: dict) -> tuple:
        answer = (await world.client.get(f"/bookings/{booking['id']}", headers=world.staff)).json()
        return answer["status"], answer["topic"], answer["visitor_name_masked"], answer["visitor_phone_masked"]

    assert await shown(old) == ("attended", "水沟", None, None)
    assert await shown(recent) == ("attended", "水沟", "毛**", "138****5678")
    assert (await world.client.get(f"/bookings/{booked['id']}", headers=world.villager("a"))).status_code == 200
    assert (await world.client.get(f"/sessions/{first['id']}")).json()["confirmed"] == 2

    runtime.clock = MovableClock(ended + timedelta(days=400))
    assert await sweep(runtime) == 0  # PERSONAL_DATA_RETENTION_DAYS is 1095 by default
    tasks = {task.get_name(): task for task in asyncio.all_tasks()}
    assert not tasks["station-run_retention"].done()  # the hourly sweep runs in the service's lifespan
