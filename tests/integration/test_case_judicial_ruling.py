"""Judicial confirmation (司法确认) of a mediation agreement ends with the court's ruling: confirmed or not, its day
and document number are kept on the mediation and told on the dispute's timeline, to the parties too."""

from contextlib import AsyncExitStack

import pytest

from tests.integration.city import build_town
from tests.integration.test_case_lifecycle import MEDIATION


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def _agreement(town, villager):  # type: ignore[no-untyped-def]
    case = await town.file(villager, kind="dispute", category="neighbourhood")
    await town.act(case["id"], "accept", town.deputy())
    await town.act(case["id"], "mediate", town.deputy())
    body = {**MEDIATION, "mediator_deputy_ids": [town.deputy_id]}
    answer = await town.client.post(f"/cases/{case['id']}/mediations", json=body, headers=town.deputy())
    assert answer.status_code == 201, answer.text
    return case, f"/cases/{case['id']}/mediations/{answer.json()['id']}"


async def test_the_courts_ruling_is_recorded_once_after_the_application_and_shown_on_the_timeline(town):
    villager = town.villager("party-1")
    case, path = await _agreement(town, villager)
    ruling = {"ruling": "confirmed", "ruled_on": "2026-03-20", "document_number": "(2026)湘0382民特123号"}
    early = await town.client.post(f"{path}/ruling", json=ruling, headers=town.deputy())
    assert early.status_code == 409  # nothing was applied for yet
    applied = await town.client.post(f"{path}/confirmation", json={"applied_on": "2026-03-10"}, headers=town.deputy())
    assert applied.status_code == 200, applied.text
    before = await town.client.post(f"{path}/ruling", json={**ruling, "ruled_on": "2026-03-09"}, headers=town.deputy())
    assert before.status_code == 422
    assert (await town.client.post(f"{path}/ruling", json=ruling, headers=villager)).status_code == 403

    answer = await town.client.post(f"{path}/ruling", json=ruling, headers=town.deputy())
    assert answer.status_code == 200, answer.text
    mediation = answer.json()
    assert (
        mediation["confirmation_ruling"],
        mediation["confirmation_ruled_on"],
        mediation["confirmation_document_number"],
    ) == ("confirmed", "2026-03-20", "(2026)湘0382民特123号")
    again = {**ruling, "ruling": "not_confirmed"}
    assert (await town.client.post(f"{path}/ruling", json=again, headers=town.deputy())).status_code == 409

    listed = (await town.client.get(f"/cases/{case['id']}/mediations", headers=town.deputy())).json()["items"]
    assert listed[0]["confirmation_ruling"] == "confirmed"
    timeline = (await town.client.get(f"/cases/{case['id']}", headers=villager)).json()["timeline"]
    step = next(step for step in timeline if step["action"] == "judicial_confirmed")
    assert step["note"] == "(2026)湘0382民特123号" and "2026-03-20" in step["reason"]
    assert step["from_status"] == step["to_status"] == "mediating"


async def test_a_refusal_says_the_agreement_was_not_confirmed(town):
    villager = town.villager("party-2")
    case, path = await _agreement(town, villager)
    await town.client.post(f"{path}/confirmation", json={"applied_on": "2026-03-10"}, headers=town.deputy())
    ruling = {"ruling": "not_confirmed", "ruled_on": "2026-03-25", "document_number": "(2026)湘0382民特124号"}
    answer = await town.client.post(f"{path}/ruling", json=ruling, headers=town.deputy())
    assert answer.status_code == 200, answer.text
    timeline = (await town.client.get(f"/cases/{case['id']}", headers=villager)).json()["timeline"]
    assert [step["action"] for step in timeline if step["action"].startswith("judicial_")] == [
        "judicial_confirmation",
        "judicial_refused",
    ]
