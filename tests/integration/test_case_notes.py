"""Internal notes on a case's timeline: written by its deputies and the office, the status unchanged, read by
officials only — never by the villager, on the tracking-code view or by an agency — and each step's own words
apart from the service's sentence, for screens that put the step in another language."""

from contextlib import AsyncExitStack

import pytest

from tests.integration.city import build_town


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def _note(town, case_id: str, headers: dict, note: str, key: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"Idempotency-Key": key} if key else {}
    return await town.client.post(f"/cases/{case_id}/notes", json={"note": note}, headers={**headers, **extra})


async def test_a_deputy_and_the_office_note_a_case_and_only_officials_read_the_notes(town):
    case = await town.file(town.villager())
    await town.act(case["id"], "accept", town.deputy())
    written = await _note(town, case["id"], town.deputy(), "打了电话13812345678，村民下午在家", key="note-offline-01")
    assert written.status_code == 201, written.text
    noted = written.json()
    assert noted["status"] == "accepted"  # a note changes nothing but the timeline
    step = noted["timeline"][-1]
    assert (step["action"], step["from_status"], step["to_status"]) == ("note", "accepted", "accepted")
    assert (step["actor_role"], step["actor_deputy_id"]) == ("deputy", town.deputy_id)
    assert step["note"] == "打了电话***********，村民下午在家"
    assert step["reason"] == "代表写了备注：打了电话***********，村民下午在家"
    assert (await _note(town, case["id"], town.office(), "已督促尽快上门")).status_code == 201

    for reader in (town.office(), town.staff(), town.deputy()):
        seen = (await town.client.get(f"/cases/{case['id']}", headers=reader)).json()
        assert [step["action"] for step in seen["timeline"]][-2:] == ["note", "note"]
    listed = (await town.client.get("/cases", headers=town.deputy())).json()["items"]
    assert [step["action"] for step in listed[0]["timeline"]].count("note") == 2

    mine = (await town.client.get(f"/cases/{case['id']}", headers=town.villager())).json()
    tracked = (await town.client.get(f"/cases/track/{case['tracking_code']}")).json()
    for view in (mine, tracked):
        assert [step["action"] for step in view["timeline"]] == ["submit", "route", "accept"]
        assert "村民下午在家" not in str(view) and "督促" not in str(view)


async def test_a_note_is_written_once_per_key_and_refused_to_those_who_may_not_act(town):
    case = await town.file(town.villager())
    deputy = town.deputy()  # one sign-in: a key is the caller's own
    first = await _note(town, case["id"], deputy, "明早去现场", key="note-once-0001")
    again = await _note(town, case["id"], deputy, "明早去现场", key="note-once-0001")
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    other = await _note(town, case["id"], deputy, "换个说法", key="note-once-0001")
    assert other.status_code == 422

    refer = {"organisation": "water-bureau", "question": "水费为何上涨？"}
    await town.act(case["id"], "accept", town.deputy())
    await town.act(case["id"], "refer", town.deputy(), refer)
    for outsider in (town.villager(), town.deputy(town.other_deputy_id), town.officer()):
        refused = await _note(town, case["id"], outsider, "我也想写一句")
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert (await _note(town, case["id"], town.deputy(), "")).status_code == 422
    assert (await _note(town, "00000000-0000-4000-8000-000000000000", town.office(), "?")).status_code == 404
    officer_view = (await town.client.get(f"/cases/{case['id']}", headers=town.officer())).json()
    assert "note" not in [step["action"] for step in officer_view["timeline"]]
    after = (await town.client.get(f"/cases/{case['id']}", headers=town.office())).json()
    assert [step["action"] for step in after["timeline"]].count("note") == 1


async def test_a_note_stages_an_event_with_ids_and_no_words(town):
    case = await town.file(town.villager())
    await _note(town, case["id"], town.office(), "村民情绪激动，注意方式")
    [event] = await town.outbox("case.case.noted.v1")
    assert event["data"]["case_id"] == case["id"] and event["data"]["deputy_ids"] == [town.deputy_id]
    assert event["data"]["actor_deputy_id"] is None and "村民情绪激动" not in str(event)


async def test_each_step_keeps_the_persons_own_words_apart_from_the_sentence(town):
    case = await town.file(town.villager())
    await town.act(case["id"], "accept", town.deputy(), {"note": "明天去看，电话 138-1234-5678"})
    await town.act(case["id"], "start", town.deputy())
    resolved = await town.act(case["id"], "resolve", town.deputy(), {"resolution": "换了水表"})
    steps = {step["action"]: step for step in resolved["timeline"]}
    assert steps["accept"]["note"] == "明天去看，电话 *************"
    assert steps["accept"]["reason"] == "代表已接手，由他来办（已受理）：明天去看，电话 *************"
    assert steps["start"]["note"] is None and steps["route"]["note"] is None
    assert steps["resolve"]["note"] == "换了水表"
    reopened = await town.act(case["id"], "reopen", town.villager(), {"reason": "还是没有水"})
    assert reopened["timeline"][-1]["note"] == "还是没有水"
