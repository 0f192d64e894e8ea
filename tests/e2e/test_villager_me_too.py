""" "Me too" (我也遇到了) before filing, in a real Chromium at 360 px: a villager whose group already has an open case
of the same category is offered it on the review screen and can support it instead of filing again — or say
theirs is different and file; offline, or when the question fails, filing goes on with no offer. And the
officials' commands waiting on the same phone stay out of the villager's lists and banner."""

import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_pwa import PASSWORD, TRACKING_CODE, look, office_cases_with, wait_js

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

CATEGORIES = ["roads", "parking", "sanitation", "rivers", "land", "old_compound"]


def similar(api: httpx.Client, group_id: str, category: str) -> list[dict]:
    params = {"grid_id": group_id, "category": category, "limit": 50}
    answer = api.get("/api/case-intake/cases/similar", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


@pytest.fixture(scope="module")
def open_case(api: httpx.Client) -> dict:
    """A group with its village and township, a category with no open case there yet, and one villager's open
    case of that category filed there through the API."""
    group = api.get("/api/grid/grids", params={"level": "group", "limit": 1, "offset": 61}).json()["items"][0]
    village = api.get(f"/api/grid/grids/{group['parent_id']}").json()
    township = api.get(f"/api/grid/grids/{village['parent_id']}").json()
    category = next(c for c in CATEGORIES if not similar(api, group["id"], c))
    description = f"村东头的路塌了一个大坑，晚上看不见，已经有人摔倒。{uuid.uuid4().hex[:6]}"
    body = {"kind": "request", "category": category, "description": description, "grid_id": group["id"]}
    answer = api.post("/api/case-intake/cases", json=body, headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"})
    assert answer.status_code == 201, answer.text
    return {"group": group, "village": village, "township": township, "category": category, **answer.json()}


def supporters(api: httpx.Client, case: dict) -> int:
    items = similar(api, case["group"]["id"], case["category"])
    return next(item["supporters"] for item in items if item["id"] == case["id"])


def choose(page: Page, selector: str, value: str) -> None:
    has = (
        "([s, v]) => { const el = document.querySelector(s);"
        " return el && !el.disabled && [...el.options].some((o) => o.value === v) }"
    )
    wait_js(page, has, [selector, value])
    page.select_option(selector, value)


def to_review(page: Page, case: dict, description: str) -> None:
    """The four screens up to the review: a request of the case's category, in the case's group."""
    page.click("#start-file")
    page.locator("label.tile", has=page.locator("input[value=request]")).click()
    page.locator("label.tile", has=page.locator(f"input[value={case['category']}]")).click()
    page.click("#next")
    page.fill("#what", description)
    page.click("#next")
    for level in ("township", "village", "group"):
        choose(page, f"#{level}", case[level]["id"])
    page.click("#next")
    expect(page.locator("h1")).to_have_text("请确认")


def test_a_villager_says_me_too_to_the_open_case_of_the_group_instead_of_filing_again(new_page, api, shots, open_case):
    before = supporters(api, open_case)
    page = new_page()
    page.goto("/")
    description = f"我家门口也是这个坑，车子过不去。{uuid.uuid4().hex[:6]}"

    to_review(page, open_case, description)

    offer = page.locator(".similar")
    expect(offer).to_be_visible()
    entry = offer.locator("li")  # the only open case of the category in the group: what and when, no one's words
    expect(entry).to_have_count(1)
    expect(entry).not_to_contain_text(open_case["description"][:10])
    expect(entry).to_contain_text("有事要人帮忙")  # the kind in village words
    expect(entry).to_contain_text("目前只有反映人自己" if before == 0 else f"已有 {before} 人表示也遇到了")
    expect(entry.get_by_role("button", name="我也遇到了")).to_be_visible()
    look(page, shots, "me-too-1-offer")
    page.click("#lang")
    expect(page.locator(".similar h2")).to_have_text("Someone may have reported this already")
    look(page, shots, "en-me-too-1-offer")
    page.click("#lang")

    entry.get_by_role("button", name="我也遇到了").click()

    expect(page.locator("h1")).to_have_text("✅ 您已经表示也遇到了", timeout=15_000)
    expect(page.locator("#support-outcome")).to_contain_text(f"已有 {before + 1} 人")
    look(page, shots, "me-too-2-done")
    assert supporters(api, open_case) == before + 1
    assert office_cases_with(api, description) == []  # nothing new was filed
    office = api.post("/api/auth/login", json={"username": "office", "password": PASSWORD}).json()["access_token"]
    case = api.get(f"/api/case-intake/cases/{open_case['id']}", headers={"Authorization": f"Bearer {office}"}).json()
    said = [step["reason"] for step in case["timeline"] if step["action"] == "support"]
    assert len(said) == 1 and description in said[0]  # their words went along
    assert page.evaluate("self.ddgQueue.commands().then((c) => c.length)") == 0

    expect(page.locator("main a[href='/board']")).to_have_text("村务公开")  # where to follow it
    page.goto("/cases")
    expect(page.locator("#supported li")).to_have_count(1)
    expect(page.locator("#supported")).not_to_contain_text(open_case["description"][:10])
    page.goto("/")
    page.click("#start-file")  # the draft is gone: a new filing starts empty
    expect(page.locator("input[value=request]")).not_to_be_checked()


def test_mine_is_different_goes_on_filing_and_the_case_is_filed(new_page, api, open_case):
    before = supporters(api, open_case)
    page = new_page()
    page.goto("/")
    description = f"路边的排水沟堵了，跟那个坑不是一回事。{uuid.uuid4().hex[:6]}"
    to_review(page, open_case, description)
    expect(page.locator(".similar")).to_be_visible()

    page.click("#not-similar")

    expect(page.locator(".similar")).to_have_count(0)
    expect(page.locator("#send")).to_be_focused()
    page.reload()  # the answer is remembered with the draft: not offered again
    expect(page.locator("h1")).to_have_text("请确认")
    page.wait_for_timeout(800)
    expect(page.locator(".similar")).to_have_count(0)
    page.click("#send")
    expect(page.locator("#tracking-code")).to_have_text(TRACKING_CODE, timeout=15_000)
    assert len(office_cases_with(api, description)) == 1
    assert supporters(api, open_case) == before


def test_offline_or_when_the_question_fails_the_filing_goes_on_without_an_offer(new_page, api, open_case):
    page = new_page()
    page.goto("/")
    wait_js(page, "() => localStorage.getItem('ddg.atlas.v1') !== null", timeout=15)
    page.context.set_offline(True)
    offline_words = f"路灯也坏了。离线 {uuid.uuid4().hex[:6]}"
    to_review(page, open_case, offline_words)
    page.wait_for_timeout(800)
    expect(page.locator(".similar")).to_have_count(0)
    page.click("#send")
    expect(page.locator("h1")).to_contain_text("等待发送", timeout=15_000)
    page.context.set_offline(False)
    page.goto("/")
    expect(page.locator(".queue.sent .code-link")).to_have_text(TRACKING_CODE, timeout=20_000)
    assert len(office_cases_with(api, offline_words)) == 1

    # online, but the question is lost on the way: no offer, and "send" files as always
    failing = new_page(service_workers="block")
    failing.route("**/api/case-intake/cases/similar*", lambda route: route.abort("connectionreset"))
    failing.goto("/")
    lost_words = f"桥上的栏杆松了。{uuid.uuid4().hex[:6]}"
    to_review(failing, open_case, lost_words)
    failing.wait_for_timeout(800)
    expect(failing.locator(".similar")).to_have_count(0)
    failing.click("#send")
    expect(failing.locator("#tracking-code")).to_have_text(TRACKING_CODE, timeout=15_000)
    assert len(office_cases_with(api, lost_words)) == 1


def test_the_officials_waiting_commands_stay_out_of_the_villagers_lists_and_banner(new_page):
    page = new_page()
    page.goto("/")
    expect(page.locator("h1")).to_have_text("有事找代表")
    page.context.set_offline(True)
    enqueue = "(path) => self.ddgQueue.enqueue('work.post', {note: 'x'}, {target: {path}}).then(() => true)"
    assert page.evaluate(enqueue, "/api/case-intake/no-such-step")
    wait_js(page, "() => self.ddgQueue.commands().then((c) => c.length === 1)")
    page.click("#start-file")
    expect(page.locator("h1")).to_have_text("是什么事？")
    expect(page.locator("#banner")).to_contain_text("现在没有网络")
    expect(page.locator("#banner")).not_to_contain_text("等待发送")
    page.click("text=回到首页")
    expect(page.locator(".queue.waiting")).to_have_count(0)

    page.context.set_offline(False)  # sent, and refused: it needs the official, not the villager
    wait_js(page, "() => self.ddgQueue.attention().then((a) => a.length === 1)", timeout=20)
    expect(page.locator(".queue.attention")).to_have_count(0)
    page.click("#start-file")
    expect(page.locator("h1")).to_have_text("是什么事？")
    expect(page.locator("#banner")).not_to_contain_text("需要您处理")
