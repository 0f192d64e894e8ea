"""A person's data in the notification service (PIPL), through real NATS and the service's own database: the
office's erasure (identity.person.erased.v1, published as the gateway does) leaves the number in no table and
not in the development SMS outbox, the account in no row but the audit entry, and the figures as they were; a
replay changes nothing; an erasure by number alone takes the number off the account that gave it; `GET
/me/data` gives the caller everything kept under their account and nothing of anyone else; and SMS messages
older than PERSONAL_DATA_RETENTION_DAYS lose their number."""

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import nats
import pytest
from sqlalchemy import func, select

from services.notification.logic.erasure import sweep_retention
from services.notification.models import Base, Delivery
from shared.auth import Role
from shared.clock import MovableClock
from shared.messaging.catalogue import CaseResolved, PersonErased, envelope
from shared.messaging.envelope import CloudEvent
from tests.integration.push_receiver import Browser, DaytimeClock, PushReceiver
from tests.support import case_submitted, eventually, start_service

FOLLOWED = "SS-2612-00042"
PERSON, NUMBER, STORED_AS = "person-1", "13812345678", "+8613812345678"
OTHER, OTHER_NUMBER = "other-1", "13900000000"
OFFICE = "office-1"


@pytest.fixture
def push_env(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WEBPUSH_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("VAPID_PRIVATE_KEY_FILE", str(tmp_path / "vapid.pem"))
    monkeypatch.setenv("SMS_DEV_FILE", str(tmp_path / "sms.jsonl"))
    monkeypatch.setenv("NOTIFY_POLL_SECONDS", "0.2")
    return tmp_path


async def started(stack, nats_server, databases, keys, **settings):  # type: ignore[no-untyped-def]
    service = await start_service(
        stack, "notification", databases.settings("notification", nats_server.url, keys.public, **settings)
    )
    service.runtime.clock = DaytimeClock()  # outside quiet hours whenever the test runs

    async def listening() -> bool:  # IDENTITY keeps a message only for consumers that exist when it comes
        return all(consumer.caught_up for consumer in service.runtime.consumers)

    await eventually(listening)
    return service


async def publish(nats_url: str, *events: CloudEvent) -> None:
    connection = await nats.connect(nats_url)  # the operator's user: a stand-in for the gateway and case intake
    stream = connection.jetstream()
    for event in events:
        await stream.publish(event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})
    await connection.close()


def erased(account_id: str | None, phone: str | None) -> PersonErased:
    return PersonErased(
        erasure_id=str(uuid.uuid4()), account_id=account_id, phone=phone, requested_by=OFFICE, at=datetime.now(UTC)
    )


def resolved(code: str) -> CaseResolved:
    return CaseResolved(
        case_id=str(uuid.uuid4()),
        tracking_code=code,
        grid_id=str(uuid.uuid4()),
        kind="request",
        category="water",
        from_status="in_progress",
        to_status="resolved",
        deputy_ids=[],
        at=datetime.now(UTC),
    )


async def tables(service) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Every row of every table of the service's database, as text."""
    async with service.runtime.maker() as session:
        return {
            table.name: sorted(str(tuple(row)) for row in (await session.execute(select(table))).all())
            for table in Base.metadata.sorted_tables
        }


def holding(dump: dict[str, list[str]], text: str) -> set[str]:
    return {name for name, rows in dump.items() if any(text in row for row in rows)}


async def all_sent(service) -> bool:  # type: ignore[no-untyped-def]
    async with service.runtime.maker() as session:
        waiting = Delivery.status.in_(["pending", "sending"])
        total = await session.scalar(select(func.count()).select_from(Delivery))
        return bool(total) and not await session.scalar(select(func.count()).where(waiting))


async def audit_entries(service, keys) -> list[dict]:  # type: ignore[no-untyped-def]
    answer = await service.client.get(
        "/audit", params={"action": "person.erased"}, headers=keys.headers(Role.npc_office, subject="office-2")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def official_with_number(service, keys, receiver, subject: str, phone: str):  # type: ignore[no-untyped-def]
    """A deputy's account with a device (following FOLLOWED) and its own number for SMS; returns its headers
    and its deputy id."""
    deputy = str(uuid.uuid4())
    headers = keys.headers(Role.deputy, subject=subject, deputy_id=deputy)
    device = {"subscription": Browser(receiver.endpoint(subject)).subscription(), "follow": [FOLLOWED]}
    keyed = {**headers, "Idempotency-Key": f"key-{subject}"}
    answer = await service.client.post("/subscriptions", json=device, headers=keyed)
    assert answer.status_code == 201, answer.text
    choices = {"phone": phone, "items": [{"kind": "case_reminder", "channel": "push", "enabled": False}]}
    answer = await service.client.put("/preferences", json=choices, headers=headers)
    assert answer.status_code == 200, answer.text
    return headers, deputy


async def test_an_erased_person_leaves_no_number_and_no_link_behind(push_env, nats_server, databases, keys):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys)
        person, person_deputy = await official_with_number(service, keys, receiver, PERSON, STORED_AS)
        other, other_deputy = await official_with_number(service, keys, receiver, OTHER, OTHER_NUMBER)
        urgent = case_submitted(
            str(uuid.uuid4()), deputy_ids=[person_deputy, other_deputy], tracking_code="SS-2612-00007", urgent=True
        )
        await publish(nats_server.url, envelope("/case-intake", urgent), envelope("/case-intake", resolved(FOLLOWED)))

        async def texted() -> bool:
            sent = (await service.client.get("/dev/sms")).json()
            return {sms["phone"] for sms in sent} == {STORED_AS, OTHER_NUMBER} and await all_sent(service)

        await eventually(texted)
        assert len(receiver.for_device(PERSON)) == 2  # the urgent case and the followed case's answer

        # the download: everything under the caller's account, nothing of anyone else's
        assert (await service.client.get("/me/data")).status_code == 401
        mine = await service.client.get("/me/data", headers=person)
        assert mine.status_code == 200, mine.text
        data = mine.json()
        assert data["settings"] == {"language": "zh-CN", "phone": STORED_AS}
        assert [device["push_service"] for device in data["devices"]] == ["127.0.0.1"]
        assert [follow["tracking_code"] for follow in data["follows"]] == [FOLLOWED]
        assert [(p["kind"], p["channel"], p["enabled"]) for p in data["preferences"]] == [
            ("case_reminder", "push", False)
        ]
        assert sorted((m["channel"], m["tracking_code"], m["to"]) for m in data["messages"]) == [
            ("push", "SS-2612-00007", "127.0.0.1"),
            ("push", FOLLOWED, "127.0.0.1"),
            ("sms", "SS-2612-00007", STORED_AS),
        ]
        assert OTHER not in mine.text and OTHER_NUMBER not in mine.text and "p256dh" not in mine.text
        assert f"/push/{PERSON}" not in mine.text  # the endpoint's host only

        before = await tables(service)
        assert holding(before, NUMBER) == {"accounts", "deliveries"}  # so that the search below can fail
        assert {"push_subscriptions", "follows", "preferences", "idempotency_keys"} <= holding(before, PERSON)
        figures = (await service.client.get("/figures", headers=keys.headers(Role.npc_office, subject=OFFICE))).json()

        erasure = envelope("/gateway", erased(PERSON, NUMBER))
        await publish(nats_server.url, erasure)
        [entry] = await eventually(lambda: audit_entries(service, keys))
        assert entry["actor_id"] == OFFICE and entry["actor_roles"] == ["npc_office"]
        assert (entry["target_type"], entry["target_id"]) == ("account", PERSON)
        assert entry["detail"] == {
            "erasure_id": erasure.data["erasure_id"],
            "follows": 1,
            "preferences": 1,
            "devices": 1,
            "accounts": 1,
            "case_contacts": 0,
            "messages": 3,
            "stored_answers": 1,
            "outbox_messages": 1,
        }

        after = await tables(service)
        assert holding(after, NUMBER) == set()
        assert holding(after, PERSON) == {"audit_log"}  # the entry that says the office erased that account
        assert holding(after, f"/push/{PERSON}") == set()
        assert holding(after, OTHER_NUMBER) == {"accounts", "deliveries"}  # someone else's stay
        assert [sms["phone"] for sms in (await service.client.get("/dev/sms")).json()] == [OTHER_NUMBER]
        office = keys.headers(Role.npc_office, subject=OFFICE)
        assert (await service.client.get("/figures", headers=office)).json() == figures  # the messages still count
        gone = (await service.client.get("/me/data", headers=person)).json()
        assert gone == {"settings": None, "devices": [], "follows": [], "preferences": [], "messages": []}
        kept = (await service.client.get("/me/data", headers=other)).json()
        assert kept["settings"]["phone"] == OTHER_NUMBER and len(kept["devices"]) == 1 and len(kept["messages"]) == 3

        # a redelivery, and the same erasure under another event id, change nothing
        await publish(nats_server.url, erasure, envelope("/gateway", PersonErased.model_validate(erasure.data)))

        async def both_seen() -> bool:
            inbox = (await tables(service))["inbox"]
            return sum("identity.person.erased.v1" in row for row in inbox) == 2

        await eventually(both_seen)
        replayed = await tables(service)
        assert {name: rows for name, rows in replayed.items() if name != "inbox"} == {
            name: rows for name, rows in after.items() if name != "inbox"
        }
        assert len(await audit_entries(service, keys)) == 1


async def test_an_erasure_by_number_alone_takes_it_off_the_account_that_gave_it(push_env, nats_server, databases, keys):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys)
        headers, deputy = await official_with_number(service, keys, receiver, OTHER, STORED_AS)
        urgent = case_submitted(str(uuid.uuid4()), deputy_ids=[deputy], tracking_code="SS-2612-00008", urgent=True)
        await publish(nats_server.url, envelope("/case-intake", urgent))
        await eventually(lambda: all_sent(service))
        assert [sms["phone"] for sms in (await service.client.get("/dev/sms")).json()] == [STORED_AS]

        await publish(nats_server.url, envelope("/gateway", erased(None, NUMBER)))
        [entry] = await eventually(lambda: audit_entries(service, keys))
        assert (entry["target_type"], entry["target_id"]) == ("phone", None)
        assert NUMBER not in str(entry)
        assert holding(await tables(service), NUMBER) == set()
        assert (await service.client.get("/dev/sms")).json() == []
        data = (await service.client.get("/me/data", headers=headers)).json()
        assert data["settings"] == {"language": "zh-CN", "phone": None}  # the account itself is not erased
        assert len(data["devices"]) == 1 and [f["tracking_code"] for f in data["follows"]] == [FOLLOWED]


async def test_sms_messages_older_than_the_retention_lose_their_number(push_env, nats_server, databases, keys):
    async with AsyncExitStack() as stack, PushReceiver() as receiver:
        service = await started(stack, nats_server, databases, keys, personal_data_retention_days=30)
        headers, deputy = await official_with_number(service, keys, receiver, OTHER, OTHER_NUMBER)
        clock = MovableClock(service.runtime.clock.now())
        service.runtime.clock = clock
        for code in ("SS-2612-00011", "SS-2612-00012"):
            case = case_submitted(str(uuid.uuid4()), deputy_ids=[deputy], tracking_code=code, urgent=True)
            await publish(nats_server.url, envelope("/case-intake", case))

            async def sms_sent(code: str = code) -> bool:
                return await all_sent(service) and any(
                    code in sms["text"] for sms in (await service.client.get("/dev/sms")).json()
                )

            await eventually(sms_sent)
            clock.advance(timedelta(days=20))  # the second message is made 20 days after the first

        first_made = clock.now() - timedelta(days=40)
        assert await sweep_retention(service.runtime, MovableClock(first_made + timedelta(days=29))) == 0
        assert await sweep_retention(service.runtime, MovableClock(first_made + timedelta(days=31))) == 1
        data = (await service.client.get("/me/data", headers=headers)).json()
        texts = {message["tracking_code"]: message for message in data["messages"] if message["channel"] == "sms"}
        assert texts["SS-2612-00011"]["to"] is None and texts["SS-2612-00011"]["status"] == "sent"
        assert texts["SS-2612-00012"]["to"] == OTHER_NUMBER  # 11 days old: kept
        assert await sweep_retention(service.runtime, MovableClock(first_made + timedelta(days=31))) == 0
        assert await sweep_retention(service.runtime, MovableClock(first_made + timedelta(days=51))) == 1
        assert holding(await tables(service), OTHER_NUMBER) == {"accounts"}  # the account's own number stays
