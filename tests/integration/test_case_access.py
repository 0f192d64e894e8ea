"""Who sees what: deputies their grids' cases and what is routed to them, officers their referrals, villagers
their own; personal data never in a public view or an event."""

from contextlib import AsyncExitStack

import pytest

from tests.integration.city import build_town

PHONE, NAME = "13812345678", "王秀英"


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def ids(town, headers, path="/cases") -> set[str]:
    answer = await town.client.get(path, headers=headers, params={"limit": 200})
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


async def test_each_role_sees_only_its_cases(town):
    mine = await town.file(town.villager("villager-1"), contact_phone=PHONE, contact_name=NAME)
    theirs = await town.file(town.villager("villager-2"), grid_id=town.other_group_id)
    await town.act(mine["id"], "accept", town.deputy())
    body = {"organisation": "water-bureau", "organisation_kind": "government", "question": "请答复"}
    await town.act(mine["id"], "refer", town.deputy(), body)

    assert await ids(town, town.deputy()) == {mine["id"]}
    assert await ids(town, town.deputy(town.other_deputy_id)) == {theirs["id"]}
    assert await ids(town, town.deputy(town.head_id)) == {mine["id"], theirs["id"]}  # the township's grid head
    assert await ids(town, town.villager("villager-1")) == {mine["id"]}
    assert await ids(town, town.villager("villager-3")) == set()
    assert await ids(town, town.officer()) == {mine["id"]}
    assert await ids(town, town.officer("court")) == set()
    assert await ids(town, town.office()) == {mine["id"], theirs["id"]}

    for headers in (town.deputy(town.other_deputy_id), town.villager("villager-2"), town.officer("court")):
        assert (await town.client.get(f"/cases/{mine['id']}", headers=headers)).status_code == 403
    assert (await town.client.get(f"/cases/{mine['id']}")).status_code == 401
    assert (await town.client.get("/referrals", headers=town.villager())).status_code == 403


async def test_contact_details_reach_only_those_who_must_call_back(town):
    case = await town.file(town.villager(), contact_phone=PHONE, contact_name=NAME)
    assert case["contact_phone_masked"] == "138****5678" and case["contact_name_masked"] == "王**"
    full = await town.client.get(f"/cases/{case['id']}/contact", headers=town.deputy())
    assert full.status_code == 200 and full.json()["phone"] == PHONE
    assert (await town.client.get(f"/cases/{case['id']}/contact", headers=town.office())).status_code == 200
    for headers in (town.deputy(town.head_id), town.villager("villager-2"), town.officer()):
        assert (await town.client.get(f"/cases/{case['id']}/contact", headers=headers)).status_code == 403
    await town.act(case["id"], "accept", town.deputy())
    body = {"organisation": "water-bureau", "organisation_kind": "government", "question": "请答复"}
    await town.act(case["id"], "refer", town.deputy(), body)
    seen_by_officer = (await town.client.get(f"/cases/{case['id']}", headers=town.officer())).json()
    assert seen_by_officer["contact_phone_masked"] is None and seen_by_officer["contact_name_masked"] is None
    seen_by_head = (await town.client.get(f"/cases/{case['id']}", headers=town.deputy(town.head_id))).json()
    assert seen_by_head["contact_phone_masked"] is None


async def test_no_phone_number_or_name_in_a_public_view_or_an_event(town):
    description = f"我是{NAME}，电话{PHONE}，路灯坏了"
    case = await town.file(
        town.villager(), category="roads", description=description, contact_phone=PHONE, contact_name=NAME
    )
    await town.act(case["id"], "accept", town.deputy())
    await town.act(case["id"], "resolve", town.deputy(), {"resolution": f"已修好，可联系{PHONE}"})
    await town.client.post(f"/cases/{case['id']}/support", json={"note": f"我也是，{PHONE}"})
    public = [
        await town.client.get(f"/cases/track/{case['tracking_code']}"),
        await town.client.get("/cases/similar", params={"grid_id": town.group_id, "category": "roads"}),
        await town.client.get(f"/board/{town.village_id}/cases"),
        await town.client.get(f"/board/{town.village_id}/stats"),
    ]
    for answer in public:
        assert answer.status_code == 200, answer.text
        assert PHONE not in answer.text
    for answer in public[2:]:  # the board shows no free text at all
        assert NAME not in answer.text
    events = str(await town.outbox())
    assert PHONE not in events and NAME not in events and "路灯坏了" not in events  # no v1 with its `summary`


async def test_a_supporter_is_counted_once_and_reads_nothing_more_than_the_board(town):
    case = await town.file(town.villager("villager-1"), contact_phone=PHONE)
    supported = await town.client.post(f"/cases/{case['id']}/support", headers=town.villager("villager-2"))
    assert supported.status_code == 201 and supported.json()["supporters"] == 1
    assert (await town.client.get(f"/cases/{case['id']}", headers=town.villager("villager-2"))).status_code == 403
    assert await ids(town, town.villager("villager-2")) == set()
    again = await town.client.post(f"/cases/{case['id']}/support", headers=town.villager("villager-2"))
    assert again.status_code == 409
    own = await town.client.post(f"/cases/{case['id']}/support", headers=town.villager("villager-1"))
    assert own.status_code == 409
