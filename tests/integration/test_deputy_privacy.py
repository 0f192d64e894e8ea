"""The deputy service from the stranger's side: the public record of duty and statistics carry no tracking code,
no case, nothing a villager said and no household; a deputy's households, five ones and record are written and
read in private only by the deputy, the office (and station staff, masked); records kept before this rule lose
their tracking codes in the migration."""

import asyncio
import json
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text

from services.deputy.models import InboxCase
from shared.auth import Role
from shared.db import create_engine
from shared.messaging.catalogue import CaseAccepted, CaseReferred, CaseResolved, StationIssueRaised
from shared.migrations import alembic_config
from tests.integration.test_deputy_service import World, case_step, submitted
from tests.support import eventually, start_service

CODE = "SS-2612-49897"
PHONE = "13912345678"
YEAR = datetime.now(UTC).year


@pytest.fixture
async def world(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        grid = await start_service(stack, "grid", databases.settings("grid", nats_server.url, keys.public))
        deputy = await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        yield World(grid, deputy, keys, nats_server.url)


def strangers(world: World) -> dict[str, dict[str, str]]:
    """Everyone but the deputy, the office and station staff."""
    keys = world.keys
    return {
        "anonymous": {},
        "a villager": keys.headers(Role.villager),
        "another deputy": keys.headers(Role.deputy, deputy_id=str(uuid.uuid4())),
        "a deputy of another township": keys.headers(Role.deputy, deputy_id=str(uuid.uuid4()), subject="D0400"),
        "finance": keys.headers(Role.finance),
        "an agency officer": keys.headers(Role.agency_officer, organisation="water-bureau"),
    }


async def test_the_public_record_and_statistics_carry_no_tracking_code_case_or_what_was_said(world):
    grids = await world.city()
    group = grids["T1V1G1"]["id"]
    deputy = await world.register("D40", home_grid_id=group)
    me = [deputy["id"]]
    case_id, referred_id, station_case = (str(uuid.uuid4()) for _ in range(3))
    said = f"村民王某某（{PHONE}）反映村道塌陷"
    await world.publish(
        submitted(case_id, group, me),
        case_step(CaseAccepted, case_id, group, me, tracking_code=CODE, category="neighbourhood"),
        case_step(CaseResolved, case_id, group, me, tracking_code=CODE, from_status="accepted", to_status="resolved"),
        submitted(referred_id, group, me),
        case_step(CaseReferred, referred_id, group, me, tracking_code="SS-2612-00077", to_status="referred"),
        StationIssueRaised(
            record_id=str(uuid.uuid4()),
            case_id=station_case,
            station_id="s1",
            session_id=str(uuid.uuid4()),
            grid_id=group,
            kind="suggestion",
            category="roads",
            route="suggestion",
            summary=said,
            deputy_ids=me,
            raised_at=datetime.now(UTC) - timedelta(minutes=1),
        ),
    )

    async def recorded():
        items = (await world.record(deputy["id"]))["items"]
        return items if len(items) == 5 else None

    private = await eventually(recorded)
    today = datetime.now(UTC).date().isoformat()
    for who, headers in strangers(world).items():
        public = (await world.record(deputy["id"], headers=headers))["items"]
        shown = json.dumps(public, ensure_ascii=False)
        assert len(public) == 5, who
        for secret in (CODE, "49897", "00077", case_id, referred_id, station_case, PHONE, "王某某", "塌陷"):
            assert secret not in shown, (who, secret)
        assert all(item["notes"] is None and item["case_id"] is None for item in public), who
        figures = await world.deputy.client.get(
            "/statistics", params={"date_from": today, "date_to": today}, headers=headers
        )
        assert figures.status_code == 200 and CODE not in figures.text and case_id not in figures.text
    # the deputy (and the office, station staff) keep the case links and what the visitor said
    assert {item["case_id"] for item in private} == {case_id, referred_id, station_case}
    assert [item["notes"] for item in private if item["kind"] == "visitor_received"] == [said]
    assert sorted(item["summary"] for item in private) == ["neighbourhood", "roads", "roads", "water", "water"]


async def test_an_inbox_row_kept_from_a_v1_event_shows_its_category_not_the_villagers_words(world):
    """case.case.submitted.v1 put the start of the villager's words in the inbox row's summary; no event carries
    them now, and rows kept from before show the category as the new ones do."""
    deputy = await world.register("D42")
    said = f"村民王某某（{PHONE}）反映村道塌陷"
    at = datetime.now(UTC)
    row = {"deputy_id": deputy["id"], "case_id": str(uuid.uuid4()), "tracking_code": CODE, "grid_id": str(uuid.uuid4())}
    times = {"submitted_at": at, "accept_due_at": at + timedelta(days=1), "updated_at": at}
    async with world.deputy.runtime.maker() as session, session.begin():
        session.add(InboxCase(**row, **times, kind="request", category="roads", status="assigned", summary=said))
    for path, headers in (("/inbox", world.as_deputy(deputy["id"])), (f"/deputies/{deputy['id']}/inbox", world.office)):
        answer = await world.deputy.client.get(path, headers=headers)
        assert answer.status_code == 200, answer.text
        assert [item["summary"] for item in answer.json()["items"]] == ["roads"]
        assert "塌陷" not in answer.text and PHONE not in answer.text


async def test_a_household_visit_and_numbers_in_a_deputys_own_entry_stay_out_of_the_public_record(world):
    grids = await world.city()
    deputy = await world.register("D41", home_grid_id=grids["T1V1G1"]["id"])
    me = world.as_deputy(deputy["id"])
    pair = await world.post(
        world.deputy,
        f"/deputies/{deputy['id']}/support-pairs",
        {"household": "王某某户", "need": "独居老人", "starts_on": f"{YEAR}-01-02"},
        me,
    )
    at = f"{YEAR}-01-05T10:00:00+08:00"
    visit = {"occurred_at": at, "summary": "看望王某某户，送米送油"}
    await world.post(world.deputy, f"/support-pairs/{pair['id']}/visits", visit, me)
    entry = {"kind": "field_visit", "occurred_at": at, "summary": f"走访第1组，村民电话 {PHONE}"}
    await world.post(world.deputy, f"/deputies/{deputy['id']}/record", entry, me)
    for who, headers in strangers(world).items():
        shown = json.dumps((await world.record(deputy["id"], headers=headers))["items"], ensure_ascii=False)
        for secret in ("王某某", PHONE, pair["id"]):
            assert secret not in shown, (who, secret)
        assert "走访第1组" in shown, who
    own = json.dumps((await world.record(deputy["id"], headers=me))["items"], ensure_ascii=False)
    assert "看望王某某户" in own and PHONE in own


async def test_strangers_neither_read_nor_write_a_deputys_households_five_ones_or_record(world):
    grids = await world.city()
    deputy = await world.register("D42", home_grid_id=grids["T1V1G1"]["id"])
    me = world.as_deputy(deputy["id"])
    household = {"household": "李某某户", "need": "残疾", "starts_on": f"{YEAR}-01-02"}
    pair = await world.post(world.deputy, f"/deputies/{deputy['id']}/support-pairs", household, me)
    visit = {"occurred_at": f"{YEAR}-01-05T10:00:00+08:00", "summary": "送药"}
    entry = {"kind": "field_visit", "occurred_at": f"{YEAR}-01-05T10:00:00+08:00", "summary": "走访"}
    client = world.deputy.client
    for who, headers in strangers(world).items():
        expected = 401 if not headers else 403
        answers = {
            "pairs": await client.get(f"/deputies/{deputy['id']}/support-pairs", headers=headers),
            "add pair": await client.post(f"/deputies/{deputy['id']}/support-pairs", json=household, headers=headers),
            "visit": await client.post(f"/support-pairs/{pair['id']}/visits", json=visit, headers=headers),
            "end": await client.post(
                f"/support-pairs/{pair['id']}/end", json={"ends_on": f"{YEAR}-01-06"}, headers=headers
            ),
            "five ones": await client.get(
                f"/deputies/{deputy['id']}/five-ones", params={"year": YEAR}, headers=headers
            ),
            "behind": await client.get("/five-ones/behind", params={"year": YEAR}, headers=headers),
            "entry": await client.post(f"/deputies/{deputy['id']}/record", json=entry, headers=headers),
        }
        for what, answer in answers.items():
            assert answer.status_code == expected, (who, what, answer.status_code)
            assert "李某某" not in answer.text, (who, what)
    staff = (await client.get(f"/deputies/{deputy['id']}/support-pairs", headers=world.staff)).json()
    office = (await client.get(f"/deputies/{deputy['id']}/support-pairs", headers=world.office)).json()
    assert staff["items"][0]["household"] == "李***" and office["items"][0]["household"] == "李某某户"
    full = (await client.get(f"/deputies/{deputy['id']}", headers=world.office)).json()
    assert full["contact_phone"] == PHONE
    for who, headers in strangers(world).items():
        answer = await client.get(f"/deputies/{deputy['id']}", headers=headers)
        assert answer.status_code == 200 and PHONE not in answer.text, who


async def _execute(settings, statement: str, rows: list[dict] | None = None) -> list[tuple]:  # type: ignore[no-untyped-def]
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), rows or {})
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_records_kept_before_lose_their_tracking_codes_and_what_visitors_said(databases, keys):
    settings = databases.settings("deputy", "nats://127.0.0.1:1", keys.public)
    config = alembic_config("services.deputy", settings)
    await asyncio.to_thread(command.upgrade, config, "cb9e5aaeacb1")
    at = datetime(2026, 12, 1, 2, tzinfo=UTC)
    rows = [
        ("r1", "case_accepted", "event", f"{CODE} neighbourhood", None),
        ("r2", "case_resolved", "event", "SS-2612-00001 water", None),
        ("r3", "visitor_received", "event", f"村民反映村道塌陷 {PHONE}", None),
        ("r4", "suggestion", "event", "建议修缮村道", None),
        ("r5", "field_visit", "entry", "走访 第1组", "私人笔记"),
        ("r6", "dispute_mediated", "event", "调解协议达成", None),
    ]
    insert = (
        "INSERT INTO duty_records (id, deputy_id, kind, source, roles, occurred_at, fact_key, quantity, summary, "
        "notes, created_at) VALUES (:id, 'd', :kind, :source, 'servant', :at, :id, 1, :summary, :notes, :at)"
    )
    values = [{"id": i, "kind": k, "source": s, "summary": m, "notes": n, "at": at} for i, k, s, m, n in rows]
    await _execute(settings, insert, values)
    await asyncio.to_thread(command.upgrade, config, "head")
    after = await _execute(settings, "SELECT id, summary, notes FROM duty_records ORDER BY id")
    assert after == [
        ("r1", "neighbourhood", None),
        ("r2", "water", None),
        ("r3", "", f"村民反映村道塌陷 {PHONE}"),
        ("r4", "", "建议修缮村道"),
        ("r5", "走访 第1组", "私人笔记"),
        ("r6", "调解协议达成", None),
    ]
    await asyncio.to_thread(command.downgrade, config, "cb9e5aaeacb1")
    await asyncio.to_thread(command.upgrade, config, "head")
