"""A deputy's suggestion on the timelines of the villagers' cases it cites, over the real bus with the real deputy
service: when the office accepts it, each cited case says it went into the suggestion (its title, a link to its
public page), then how it was answered and that it was completed — for the filer and on the tracking view, never
naming the other cases it cites; a suggestion marked not for publication says only that the case was cited."""

from contextlib import AsyncExitStack
from datetime import date

import pytest
from sqlalchemy import select

from services.deputy.models import InboxCase
from shared.auth import Role
from tests.integration.city import City, build_city
from tests.support import eventually


@pytest.fixture
async def city(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_city(stack, nats_server, databases, keys)


async def filed(city: City, keys, account: str, description: str) -> dict:  # type: ignore[no-untyped-def]
    body = {"kind": "request", "category": "roads", "grid_id": city.group_id, "description": description}
    answer = await city.case_intake.client.post(
        "/cases", json=body, headers=keys.headers(Role.villager, subject=account)
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def in_inbox(city: City, *case_ids: str) -> bool:
    async with city.deputy.runtime.maker() as session:
        query = select(InboxCase.case_id).where(InboxCase.deputy_id == city.deputy_id)
        return set(case_ids) <= set((await session.execute(query)).scalars())


async def act(city: City, suggestion_id: str, action: str, headers: dict, body: dict | None = None) -> dict:
    answer = await city.deputy.client.post(f"/suggestions/{suggestion_id}/{action}", json=body or {}, headers=headers)
    assert answer.status_code == 200, (action, answer.text)
    return answer.json()


async def draft(city: City, title: str, *case_ids: str) -> str:
    body = {
        "title": title,
        "problem": "村道坑洼，雨天积水",
        "proposal": "硬化村道",
        "evidence": [{"source": "case", "id": case_id} for case_id in case_ids],
    }
    answer = await city.deputy.client.post("/suggestions", json=body, headers=city.deputy_headers)
    assert answer.status_code == 201, answer.text
    suggestion_id = answer.json()["id"]
    await act(city, suggestion_id, "submit", city.deputy_headers)
    return suggestion_id


def suggestion_steps(case: dict) -> list[tuple[str, str, str | None]]:
    return [(s["action"], s["reason"], s["link"]) for s in case["timeline"] if s["action"].startswith("suggestion")]


async def test_the_cases_a_suggestion_cites_show_it_accepted_answered_and_completed_and_a_hidden_one_only_cited(
    city, keys
):
    office = keys.headers(Role.npc_office, subject="office-1")
    mine = await filed(city, keys, "villager-a", "村口道路坑洼")
    neighbours = await filed(city, keys, "villager-b", "我家门前路面塌陷，邻居王五家")
    quiet = await filed(city, keys, "villager-c", "桥面破损")
    await eventually(lambda: in_inbox(city, mine["id"], neighbours["id"], quiet["id"]))

    shown = await draft(city, "关于硬化韶阳村村道的建议", mine["id"], neighbours["id"])
    hidden = await draft(city, "关于维修某桥的建议", quiet["id"])
    await act(city, hidden, "publication", office, {"public": False})
    for suggestion_id in (shown, hidden):
        await act(city, suggestion_id, "accept", office)
    link = f"/api/deputy/suggestions/{shown}"

    async def case_of(case: dict, account: str, count: int) -> dict | None:
        headers = keys.headers(Role.villager, subject=account)
        read = (await city.case_intake.client.get(f"/cases/{case['id']}", headers=headers)).json()
        return read if len(suggestion_steps(read)) >= count else None

    read = await eventually(lambda: case_of(mine, "villager-a", 1))
    assert suggestion_steps(read) == [("suggestion_cited", "写入代表建议：关于硬化韶阳村村道的建议", link)]
    assert neighbours["id"] not in str(read) and "塌陷" not in str(read)  # never the other cases it cites
    the_quiet = await eventually(lambda: case_of(quiet, "villager-c", 1))
    assert suggestion_steps(the_quiet) == [("suggestion_cited", "本案被一位人大代表的建议引用", None)]
    assert "某桥" not in str(the_quiet) and hidden not in str(the_quiet)

    await act(city, shown, "assign", office, {"lead_organisation": "roads-bureau"})
    await act(city, hidden, "assign", office, {"lead_organisation": "roads-bureau"})
    officer = keys.headers(Role.agency_officer, organisation="roads-bureau", subject="officer-roads")
    for suggestion_id in (shown, hidden):
        await act(
            city, suggestion_id, "answer", officer, {"answer_class": "solved", "text": "已硬化", "measures": "施工"}
        )
        await act(city, suggestion_id, "contact", city.deputy_headers, {"method": "phone", "on": str(date.today())})
        rated = await act(city, suggestion_id, "rate", city.deputy_headers, {"rating": "satisfied"})
        assert rated["state"] == "completed"

    read = await eventually(lambda: case_of(mine, "villager-a", 3))
    assert suggestion_steps(read) == [
        ("suggestion_cited", "写入代表建议：关于硬化韶阳村村道的建议", link),
        ("suggestion_answered", "代表建议已答复（解决或采纳）：关于硬化韶阳村村道的建议", link),
        ("suggestion_completed", "代表建议办理完毕：关于硬化韶阳村村道的建议", link),
    ]
    assert all(s["actor_role"] == "system" for s in read["timeline"] if s["action"].startswith("suggestion"))
    tracked = (await city.case_intake.client.get(f"/cases/track/{mine['tracking_code']}")).json()
    assert suggestion_steps(tracked) == suggestion_steps(read)  # the tracking view shows them too
    neighbour = await eventually(lambda: case_of(neighbours, "villager-b", 3))
    assert mine["id"] not in str(neighbour) and "村口" not in str(neighbour)
    # the hidden one's answer and completion say nothing more
    the_quiet = (
        await city.case_intake.client.get(
            f"/cases/{quiet['id']}", headers=keys.headers(Role.villager, subject="villager-c")
        )
    ).json()
    assert [step[0] for step in suggestion_steps(the_quiet)] == ["suggestion_cited"]
    public = await city.deputy.client.get(f"/suggestions/{shown}")
    assert public.status_code == 200 and public.json()["title"] == "关于硬化韶阳村村道的建议"


async def test_the_cases_of_a_merged_suggestion_are_cited_by_the_one_it_joined_and_hear_of_its_answer(city, keys):
    """并案: a suggestion merged into an accepted one, and one merged into a submitted one that is accepted later —
    the villagers whose cases they cited see the suggestion that now answers them, never the merged one."""
    office = keys.headers(Role.npc_office, subject="office-1")
    first = await filed(city, keys, "villager-a", "村口道路坑洼")
    second = await filed(city, keys, "villager-b", "村东道路破损")
    third = await filed(city, keys, "villager-c", "村西道路积水")
    await eventually(lambda: in_inbox(city, first["id"], second["id"], third["id"]))
    lead = await draft(city, "关于硬化全村道路的建议", first["id"])
    await act(city, lead, "accept", office)
    joined_late = await draft(city, "关于村西道路的建议", third["id"])
    joined_now = await draft(city, "关于村东道路的建议", second["id"])
    merged = await act(city, joined_now, "merge", office, {"into_id": lead, "reason": "同类"})
    assert merged["state"] == "merged"
    # merged into one still submitted: cited when that one is accepted
    waiting = await draft(city, "关于村道排水的建议")
    await act(city, joined_late, "merge", office, {"into_id": waiting, "reason": "同类"})
    await act(city, waiting, "accept", office)
    link = f"/api/deputy/suggestions/{lead}"

    async def case_of(case: dict, account: str, count: int) -> dict | None:
        headers = keys.headers(Role.villager, subject=account)
        read = (await city.case_intake.client.get(f"/cases/{case['id']}", headers=headers)).json()
        return read if len(suggestion_steps(read)) >= count else None

    read = await eventually(lambda: case_of(second, "villager-b", 1))
    assert suggestion_steps(read) == [("suggestion_cited", "写入代表建议：关于硬化全村道路的建议", link)]
    assert joined_now not in str(read) and "村东道路的建议" not in str(read)
    late = await eventually(lambda: case_of(third, "villager-c", 1))
    assert suggestion_steps(late) == [
        ("suggestion_cited", "写入代表建议：关于村道排水的建议", f"/api/deputy/suggestions/{waiting}")
    ]
    page = (await city.deputy.client.get(f"/suggestions/{lead}", headers=office)).json()
    assert {item["ref_id"] for item in page["evidence"] if item["source"] == "case"} == {first["id"], second["id"]}

    await act(city, lead, "assign", office, {"lead_organisation": "roads-bureau"})
    officer = keys.headers(Role.agency_officer, organisation="roads-bureau", subject="officer-roads")
    await act(city, lead, "answer", officer, {"answer_class": "solved", "text": "已硬化", "measures": "施工"})
    read = await eventually(lambda: case_of(second, "villager-b", 2))
    assert suggestion_steps(read)[1] == (
        "suggestion_answered",
        "代表建议已答复（解决或采纳）：关于硬化全村道路的建议",
        link,
    )
