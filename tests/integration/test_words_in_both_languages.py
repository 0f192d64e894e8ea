"""The services answer in the request's language (issue #19, item 5): problem details, field errors and timeline
sentences in Chinese by default and for zh-CN, in English when Accept-Language prefers it; the problem `type`
and the field error `type` stay the same in both, and one stored step reads in either language."""

from contextlib import AsyncExitStack

import pytest

from shared.problems import TYPE_BASE
from tests.integration.city import build_town
from tests.integration.test_station_support import session_body, world_fixture  # noqa: F401

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def test_a_second_booking_is_refused_in_the_villagers_language(world):
    session = await world.created("/sessions", session_body(world))
    path = f"/sessions/{session['id']}/bookings"
    first = await world.client.post(path, json={"topic": "路灯"}, headers=world.villager("a"))
    assert first.status_code == 201, first.text
    answers = {
        lang: await world.client.post(path, json={"topic": "路灯"}, headers={**world.villager("a"), **extra})
        for lang, extra in (("default", {}), ("zh", ZH), ("en", EN))
    }
    for answer in answers.values():
        assert answer.status_code == 409 and answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == TYPE_BASE + "conflict"
    for lang in ("default", "zh"):
        assert (answers[lang].json()["title"], answers[lang].json()["detail"]) == (
            "与现有情况冲突",
            "您已经预约了这场接待。",
        )
    assert (answers["en"].json()["title"], answers["en"].json()["detail"]) == (
        "Conflict",
        "You already have a booking for this session.",
    )


async def test_a_status_in_a_refusal_is_said_by_its_name(world):
    session = await world.created("/sessions", session_body(world))
    cancel = f"/sessions/{session['id']}/cancel"
    assert (await world.client.post(cancel, json={"reason": "代表临时外出"}, headers=world.staff)).status_code == 200
    zh = await world.client.post(cancel, json={"reason": "再取消"}, headers=world.staff)
    en = await world.client.post(cancel, json={"reason": "again"}, headers={**world.staff, **EN})
    assert zh.status_code == en.status_code == 409
    assert zh.json()["detail"] == "这场接待现在是“已取消”；只有已安排的接待才能取消。"
    assert en.json()["detail"] == "The session is cancelled; only a scheduled session can be cancelled."


async def test_field_errors_are_said_in_both_languages_with_the_same_types(town):
    body = {"kind": "request", "category": "water", "contact_preference": "none"}  # no description, no place
    zh = await town.client.post("/cases", json=body, headers=town.villager())
    en = await town.client.post("/cases", json=body, headers={**town.villager(), **EN})
    assert zh.status_code == en.status_code == 422
    assert (zh.json()["title"], zh.json()["detail"]) == ("填写的内容不正确", "有填写不正确的地方，请检查。")
    assert (en.json()["title"], en.json()["detail"]) == (
        "The request is not valid",
        "One or more fields are not valid.",
    )
    assert [(e["loc"], e["type"]) for e in zh.json()["errors"]] == [(e["loc"], e["type"]) for e in en.json()["errors"]]
    missing = {tuple(e["loc"]): e["msg"] for e in zh.json()["errors"] if e["type"] == "missing"}
    assert missing and set(missing.values()) == {"这一项必须填写"}
    assert {e["msg"] for e in en.json()["errors"] if e["type"] == "missing"} == {"Field required"}


async def test_a_case_not_found_and_a_timeline_read_in_either_language(town):
    unknown = "00000000-0000-0000-0000-000000000000"
    zh = await town.client.get(f"/cases/{unknown}", headers=town.office())
    en = await town.client.get(f"/cases/{unknown}", headers={**town.office(), **EN})
    assert zh.status_code == en.status_code == 404 and zh.json()["type"] == en.json()["type"] == TYPE_BASE + "not-found"
    assert (zh.json()["title"], zh.json()["detail"]) == ("没有找到", f"没有这件诉求（{unknown}）。")
    assert (en.json()["title"], en.json()["detail"]) == ("Not found", f"No case {unknown}.")

    case = await town.file(town.villager())
    await town.act(case["id"], "accept", town.deputy(), {"note": "明天去看"})
    await town.act(case["id"], "extend", town.deputy(), {"working_days": 3, "reason": "等材料"}, status=200)
    zh_steps = (await town.client.get(f"/cases/{case['id']}", headers=town.villager())).json()["timeline"]
    en_steps = (await town.client.get(f"/cases/{case['id']}", headers={**town.villager(), **EN})).json()["timeline"]
    zh_said = {step["action"]: step["reason"] for step in zh_steps}
    en_said = {step["action"]: step["reason"] for step in en_steps}
    assert zh_said["submit"] == "群众在手机上提交" and en_said["submit"] == "Filed in the app"
    assert zh_said["route"] == "已交给本网格的联系代表" and en_said["route"] == "Sent to the deputies of the grid"
    assert zh_said["accept"] == "代表已接手，由他来办（已受理）：明天去看"
    assert en_said["accept"] == "Accepted by a deputy, who will handle it: 明天去看"  # their words as they wrote them
    assert zh_said["extend"] == "办理期限延长了 3 个工作日：等材料"
    assert en_said["extend"] == "Deadline extended by 3 working days: 等材料"

    forbidden = await town.client.post(
        f"/cases/{case['id']}/resolve", json={"resolution": "x"}, headers=town.villager()
    )
    assert forbidden.status_code == 403 and forbidden.json()["detail"] == "您不能办结这件诉求。"
