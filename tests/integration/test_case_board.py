"""Before filing, "me too"; duplicates merged with every supporter kept; the public village board and its rates."""

from contextlib import AsyncExitStack

import pytest

from tests.integration.city import build_town


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def test_similar_open_cases_are_offered_and_me_too_adds_a_supporter(town):
    case = await town.file(town.villager("villager-1"), category="parking", description="路边乱停车，电话13812345678")
    await town.file(town.villager("villager-2"), category="parking", grid_id=town.other_group_id)
    await town.file(town.villager("villager-3"), category="parking", public=False)
    similar = await town.client.get("/cases/similar", params={"grid_id": town.group_id, "category": "parking"})
    assert similar.status_code == 200
    items = similar.json()["items"]
    assert [item["id"] for item in items] == [case["id"]]
    assert items[0]["summary"] == "停车"  # the category's name: a public view carries no one's words
    assert "路边乱停车" not in similar.text and case["tracking_code"] not in similar.text
    first = await town.client.post(f"/cases/{case['id']}/support", headers={"Idempotency-Key": "me-too-offline-01"})
    again = await town.client.post(f"/cases/{case['id']}/support", headers={"Idempotency-Key": "me-too-offline-01"})
    assert first.status_code == again.status_code == 201 and again.json() == {"case_id": case["id"], "supporters": 1}
    await town.client.post(f"/cases/{case['id']}/support", headers=town.villager("villager-4"))
    similar = await town.client.get("/cases/similar", params={"grid_id": town.group_id, "category": "parking"})
    assert similar.json()["items"][0]["supporters"] == 2
    supported = (await town.outbox("case.case.supported.v1"))[-1]["data"]
    assert supported == {**supported, "case_id": case["id"], "supporters": 2}


async def test_a_merged_duplicate_brings_its_filer_and_every_supporter(town):
    kept = await town.file(town.villager("villager-1"))
    duplicate = await town.file(town.villager("villager-2"))
    await town.client.post(f"/cases/{kept['id']}/support", headers=town.villager("villager-5"))
    for headers in (town.villager("villager-3"), town.villager("villager-5"), {}):
        answer = await town.client.post(f"/cases/{duplicate['id']}/support", headers=headers)
        assert answer.status_code == 201
    assert (
        await town.client.post(
            f"/cases/{duplicate['id']}/merge", json={"into_case_id": kept["id"]}, headers=town.deputy()
        )
    ).status_code == 403
    merged = await town.act(duplicate["id"], "merge", town.office(), {"into_case_id": kept["id"]})
    assert merged["status"] == "merged" and merged["merged_into_id"] == kept["id"] and merged["supporters"] == 0
    after = (await town.client.get(f"/cases/{kept['id']}", headers=town.office())).json()
    assert after["supporters"] == 4  # villager-5 once, villager-3, the anonymous one, and villager-2 who filed
    assert after["timeline"][-1]["action"] == "merge_in"
    for villager in ("villager-2", "villager-3"):  # supporters now, and a supporter reads nothing more
        assert (await town.client.get(f"/cases/{kept['id']}", headers=town.villager(villager))).status_code == 403
    assert kept["tracking_code"] not in str(merged["timeline"])
    event = (await town.outbox("case.case.merged.v1"))[0]["data"]
    assert event["into_case_id"] == kept["id"]
    onto_itself = await town.client.post(
        f"/cases/{kept['id']}/merge", json={"into_case_id": kept["id"]}, headers=town.office()
    )
    assert onto_itself.status_code == 422
    into_merged = await town.client.post(
        f"/cases/{kept['id']}/merge", json={"into_case_id": duplicate["id"]}, headers=town.office()
    )
    assert into_merged.status_code == 409


async def test_the_village_board_shows_public_cases_and_rates_without_personal_data(town):
    done = await town.file(town.villager("villager-1"), category="roads", contact_phone="13812345678")
    await town.act(done["id"], "accept", town.deputy())
    await town.act(done["id"], "resolve", town.deputy(), {"resolution": "路面已修补"})
    await town.act(done["id"], "confirm", town.villager("villager-1"), {"rating": "basically_satisfied"})
    waiting = await town.file(town.villager("villager-2"), grid_id=town.other_group_id)
    dispute = await town.file(town.villager("villager-3"), kind="dispute", category="neighbourhood")
    private = await town.file(town.villager("villager-4"), public=False)
    withdrawn = await town.file(town.villager("villager-5"))
    await town.act(withdrawn["id"], "withdraw", town.villager("villager-5"))

    board = await town.client.get(f"/board/{town.village_id}/cases")
    assert board.status_code == 200
    shown = {item["id"]: item for item in board.json()["items"]}
    assert set(shown) == {done["id"], waiting["id"]}
    assert shown[done["id"]]["resolution"] == "路面已修补" and shown[done["id"]]["grid_name"] == "第1组"
    assert "description" not in shown[done["id"]] and "13812345678" not in board.text
    assert dispute["id"] not in shown and private["id"] not in shown

    stats = (await town.client.get(f"/board/{town.village_id}/stats")).json()
    assert stats["cases"] == 4 and stats["resolved"] == 1 and stats["open"] == 3
    assert stats["response_rate"] == 1.0  # the only case due (accepted) was accepted in time
    assert stats["resolution_rate"] == 0.25 and stats["satisfaction_rate"] == 1.0
    assert stats["median_days_to_resolve"] == 0.0
    group_stats = (await town.client.get(f"/board/{town.other_group_id}/stats")).json()
    assert group_stats["cases"] == 1 and group_stats["resolution_rate"] == 0.0
    assert (await town.client.get("/board/00000000-0000-4000-8000-000000000000/stats")).status_code == 404
