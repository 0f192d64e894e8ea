"""The organisations cases are referred to: seeded county-level bodies, kept by the office, and a referral that
names only a known, active one (of its kind)."""

from contextlib import AsyncExitStack

import pytest

from tests.integration.city import build_town


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def _codes(town, **params) -> list[str]:  # type: ignore[no-untyped-def]
    answer = await town.client.get("/organisations", params={"limit": 200, **params})
    assert answer.status_code == 200, answer.text
    return [item["code"] for item in answer.json()["items"]]


async def test_the_seeded_bodies_of_each_kind_are_listed_page_by_page(town):
    everything = await town.client.get("/organisations", params={"limit": 200})
    items = everything.json()["items"]
    names = {item["name_zh"] for item in items}
    assert {
        "市住房和城乡建设局",
        "市水利局",
        "市交通运输局",
        "市民政局",
        "市人民法院",
        "市人民检察院",
        "乡镇党委",
    } <= names
    assert {item["kind"] for item in items} == {"government", "court", "procuratorate", "party_committee"}
    assert await _codes(town, kind="court") == ["court"]
    first = (await town.client.get("/organisations", params={"limit": 5})).json()
    second = (await town.client.get("/organisations", params={"limit": 5, "offset": 5})).json()
    assert first["total"] == len(items) and [item["code"] for item in first["items"] + second["items"]] == [
        item["code"] for item in items[:10]
    ]


async def test_the_office_adds_renames_and_retires_an_organisation(town):
    body = {"code": "power-supply", "name_zh": "市供电公司", "name_en": "Power supply company", "kind": "government"}
    key = {"Idempotency-Key": "org-create-0001"}
    assert (await town.client.post("/organisations", json=body, headers=town.deputy())).status_code == 403
    created = await town.client.post("/organisations", json=body, headers={**town.office(), **key})
    replayed = await town.client.post("/organisations", json=body, headers={**town.office(), **key})
    assert created.status_code == replayed.status_code == 201 and replayed.json() == created.json()
    assert (await town.client.post("/organisations", json=body, headers=town.office())).status_code == 409
    assert "power-supply" in await _codes(town, kind="government")

    renamed = await town.client.patch(
        "/organisations/power-supply", json={"name_zh": "国网供电公司", "position": 1}, headers=town.staff()
    )
    assert renamed.status_code == 200 and renamed.json()["name_zh"] == "国网供电公司"
    retired = await town.client.patch("/organisations/power-supply", json={"active": False}, headers=town.office())
    assert retired.json()["active"] is False
    assert "power-supply" not in await _codes(town)
    assert "power-supply" in await _codes(town, include_inactive=True)
    missing = await town.client.patch("/organisations/nobody", json={"active": False}, headers=town.office())
    assert missing.status_code == 404


async def test_a_referral_names_a_known_active_organisation_and_takes_its_kind(town):
    case = await town.file(town.villager())
    await town.act(case["id"], "accept", town.deputy())
    question = {"question": "水费为何上涨？"}
    for body, field in (
        ({"organisation": "no-such-bureau"}, "organisation"),
        ({"organisation": "water-bureau", "organisation_kind": "court"}, "organisation_kind"),
    ):
        refused = await town.client.post(f"/cases/{case['id']}/refer", json={**body, **question}, headers=town.deputy())
        assert refused.status_code == 422 and refused.json()["field"] == field
    still = (await town.client.get(f"/cases/{case['id']}", headers=town.office())).json()
    assert still["status"] == "accepted"

    await town.client.patch("/organisations/transport-bureau", json={"active": False}, headers=town.office())
    retired = await town.client.post(
        f"/cases/{case['id']}/refer", json={"organisation": "transport-bureau", **question}, headers=town.deputy()
    )
    assert retired.status_code == 422

    await town.act(case["id"], "refer", town.deputy(), {"organisation": "court", **question})
    referral = (await town.client.get(f"/cases/{case['id']}/referrals", headers=town.office())).json()["items"][0]
    assert (referral["organisation"], referral["organisation_kind"]) == ("court", "court")
