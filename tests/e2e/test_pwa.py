"""The PWA in a real Chromium at 360 px: the villager's four screens, the offline queue, the deputy's inbox."""

import json
import re
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from shared.types import TRACKING_CODE_PATTERN

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

TRACKING_CODE = re.compile(TRACKING_CODE_PATTERN)
PASSWORD = "demo-pass-2026"


AUDIT = (Path(__file__).parent / "work_audit.js").read_text()  # overflow, text size, targets, contrast


def look(page: Page, shots: Path, name: str) -> None:
    """Screenshot the screen for a human to look at, and audit it: nothing wider than the phone, text ≥ 16 px,
    touch targets ≥ 48 px, WCAG AA contrast."""
    page.wait_for_load_state("load")
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    problems = page.evaluate(AUDIT)
    assert not problems, f"{name}: {problems}"


def wait_js(page: Page, expression: str, arg: object = None, timeout: float = 10.0) -> None:
    """Poll a JavaScript expression until truthy (wait_for_function needs eval, which the app's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        assert time.monotonic() < deadline, f"not true within {timeout} s: {expression}"
        page.wait_for_timeout(100)


def pick(page: Page, selector: str, index: int = 1) -> str:
    """Choose the `index`-th real option of a grid picker once it has loaded; returns the chosen grid id."""
    wait_js(
        page,
        "s => { const el = document.querySelector(s); return el && !el.disabled && el.options.length > 1 }",
        selector,
    )
    page.select_option(selector, index=index)
    return page.input_value(selector)


def file_case(page: Page, shots: Path | None, description: str, prefix: str = "") -> str:
    """The villager's four screens from the home screen; returns the chosen group's id."""
    page.click("#start-file")
    expect(page.locator("h1")).to_have_text("是什么事？")
    page.locator("label.tile", has=page.locator("input[value=request]")).click()
    page.locator("label.tile", has=page.locator("input[value=water]")).click()
    expect(page.locator("input[value=water]")).to_be_checked()
    if shots:
        look(page, shots, f"{prefix}2-file-1-what-kind")
    page.click("#next")
    expect(page.locator("h1")).to_have_text("发生了什么？")
    page.fill("#what", description)
    if shots:
        look(page, shots, f"{prefix}3-file-2-what-happened")
    page.click("#next")
    expect(page.locator("h1")).to_have_text("在哪里？")
    pick(page, "#township")
    pick(page, "#village")
    group_id = pick(page, "#group")
    if shots:
        look(page, shots, f"{prefix}4-file-3-where")
    page.click("#next")
    expect(page.locator("h1")).to_have_text("请确认")
    expect(page.locator(".review")).to_contain_text(description)
    if shots:
        look(page, shots, f"{prefix}5-file-4-review")
    page.click("#send")
    return group_id


def deputy_code_of(api: httpx.Client, group_id: str) -> str:
    assignments = api.get("/api/grid/assignments", params={"grid_id": group_id}).json()["items"]
    assert assignments, "the demo city has a deputy for every group"
    return api.get(f"/api/deputy/deputies/{assignments[0]['deputy_id']}").json()["code"]


def sign_in(page: Page, username: str) -> None:
    page.goto("/deputy")
    expect(page.locator("h1")).to_have_text("代表登录")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#signin")
    expect(page.locator("h1")).to_have_text("我的待办")


def wait_for_inbox_case(page: Page, tracking_code: str, timeout: float = 20.0) -> None:
    """The case reaches the deputy's inbox through NATS, a moment after filing: refresh until it is there."""
    deadline = time.monotonic() + timeout
    item = page.locator(".inbox li", has_text=tracking_code)
    while item.count() == 0:
        assert time.monotonic() < deadline, f"{tracking_code} never reached the inbox"
        page.wait_for_timeout(500)
        page.click("#refresh")
        page.wait_for_selector("h1", timeout=10_000)
    expect(item).to_be_visible()


def office_cases_with(api: httpx.Client, description: str) -> list[dict]:
    token = api.post("/api/auth/login", json={"username": "office", "password": PASSWORD}).json()["access_token"]
    found: list[dict] = []
    for offset in range(0, 2000, 200):
        page = api.get(
            "/api/case-intake/cases",
            params={"limit": 200, "offset": offset},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        found += [case for case in page["items"] if case["description"] == description]
        if offset + 200 >= page["total"]:
            return found
    return found


def test_a_villager_files_in_four_screens_and_the_deputy_of_the_group_sees_it(new_page, api, shots):
    page = new_page()
    page.goto("/")
    expect(page.locator("h1")).to_have_text("有事找代表")
    look(page, shots, "1-home")
    description = f"村口的水管破了，已经漏水三天。{uuid.uuid4().hex[:6]}"

    group_id = file_case(page, shots, description)

    code = page.locator("#tracking-code")
    expect(code).to_have_text(TRACKING_CODE, timeout=15_000)
    tracking_code = code.text_content()
    look(page, shots, "6-sent-tracking-code")

    page.click("text=查看办理进度")
    expect(page.locator("#case-status")).to_have_text("已交给代表")
    expect(page.locator(".timeline li")).to_have_count(2)
    expect(page.locator(".timeline")).to_contain_text("已交给负责您这个村（小区）的人大代表")
    look(page, shots, "7-track-timeline")

    deputy = new_page()
    sign_in(deputy, deputy_code_of(api, group_id))
    wait_for_inbox_case(deputy, tracking_code)
    item = deputy.locator(".inbox li", has_text=tracking_code)
    expect(item).to_contain_text(description[:20])
    case = api.get(f"/api/case-intake/cases/track/{tracking_code}").json()
    due = datetime.fromisoformat(case["accept_due_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    shown = f"{due:%H:%M}" if (due.hour, due.minute) != (0, 0) else "24:00"  # a day's end reads 24:00
    expect(item).to_contain_text(shown)  # China time, though the phone's clock is in London
    look(deputy, shots, "9-deputy-inbox")


def test_a_case_filed_offline_waits_and_is_sent_exactly_once_when_back_online(new_page, api, shots):
    page = new_page()
    page.goto("/")
    # the first visit keeps the grid tree on the phone, so that a place can be chosen offline
    wait_js(page, "() => localStorage.getItem('ddg.atlas.v1') !== null", timeout=15)
    page.context.set_offline(True)
    description = f"路灯坏了，晚上很黑。离线 {uuid.uuid4().hex[:8]}"

    file_case(page, None, description)

    expect(page.locator("h1")).to_contain_text("等待发送", timeout=15_000)
    expect(page.locator("#banner")).to_contain_text("现在没有网络")
    look(page, shots, "8-offline-waiting-to-send")
    assert page.evaluate("self.ddgQueue.commands().then(c => c.length)") == 1
    page.goto("/")
    expect(page.locator(".queue.waiting")).to_contain_text("路灯坏了")
    look(page, shots, "8-offline-home-with-queue")

    page.context.set_offline(False)  # `online`: the queue replays by itself
    expect(page.locator(".queue.sent .code-link")).to_have_text(TRACKING_CODE, timeout=20_000)
    expect(page.locator(".queue.waiting")).to_have_count(0)
    tracking_code = page.locator(".queue.sent .code-link").first.text_content()
    page.evaluate("self.ddgQueue.replay({force: true})")  # a second replay has nothing left to send

    assert api.get(f"/api/case-intake/cases/track/{tracking_code}").json()["description"] == description
    assert len(office_cases_with(api, description)) == 1
    assert page.evaluate("self.ddgQueue.commands().then(c => c.length)") == 0


def test_nothing_scrolls_sideways_at_360_px_in_english_either(new_page, shots):
    page = new_page()
    page.goto("/")
    page.click("#lang")
    expect(page.locator("h1")).to_have_text("Tell your deputy")
    look(page, shots, "en-1-home")
    page.click("#start-file")
    page.locator("label.tile", has=page.locator("input[value=dispute]")).click()
    page.locator("label.tile", has=page.locator("input[value=social_assistance]")).click()
    look(page, shots, "en-2-file-1")
    page.click("#next")
    page.fill("#what", "Averyveryverylongwordwithoutanyspacesthatmightpushthelayoutsideways" * 3)
    page.fill("#phone", "13800138000")
    look(page, shots, "en-3-file-2")
    page.click("#next")
    pick(page, "#township", 2)
    pick(page, "#village", 2)
    pick(page, "#group", 1)
    look(page, shots, "en-4-file-3")
    page.click("#next")
    expect(page.locator("h1")).to_have_text("Please check")
    look(page, shots, "en-5-file-4")
    page.goto("/track/SS-0000-00000")
    expect(page.locator(".field-error")).to_contain_text("No case has this tracking code")
    look(page, shots, "en-6-track-not-found")
    page.goto("/deputy")
    expect(page.locator("h1")).to_have_text("Deputy sign-in")
    look(page, shots, "en-7-deputy-sign-in")


def test_the_app_shell_opens_with_the_network_off_after_a_first_visit(new_page, shots):
    page = new_page()
    page.goto("/")
    wait_js(page, "() => navigator.serviceWorker.controller !== null", timeout=15)
    page.context.set_offline(True)
    assert page.evaluate("fetch('/healthz').then(() => 'online', () => 'offline')") == "offline"

    answer = page.reload()
    assert answer is not None and answer.from_service_worker
    expect(page.locator("h1")).to_have_text("有事找代表")
    expect(page.locator("#banner")).to_contain_text("现在没有网络")
    look(page, shots, "10-offline-home")
    page.click("#start-file")
    expect(page.locator("label.tile")).to_have_count(15)
    page.goto("/track")
    expect(page.locator("h1")).to_have_text("查办理进度")
    for path, heading in (("/cases", "我的事项"), ("/signin", "手机号登录"), ("/board", "村务公开")):
        page.goto(path)  # each screen's module was precached by the service worker: it opens offline too
        expect(page.locator("h1")).to_have_text(heading)
    page.context.set_offline(False)


def test_each_new_screen_s_heading_takes_the_focus_so_that_a_screen_reader_says_where_the_villager_is(new_page):
    """The heading is focused once the screen is laid out (not inside the script's task, which would make it one
    long task: docs/performance.md), on the first screen and after every move, and takes nothing back later."""
    page = new_page()
    page.goto("/")
    heading = page.locator("main h1")
    expect(heading).to_have_text("有事找代表")
    expect(heading).to_be_focused()
    page.click("#start-file")
    expect(heading).to_have_text("是什么事？")
    expect(heading).to_be_focused()
    page.go_back()
    expect(heading).to_have_text("有事找代表")
    expect(heading).to_be_focused()
    page.goto("/file/1")  # the deep link to the first filing step
    expect(heading).to_have_text("是什么事？")
    expect(heading).to_be_focused()
    page.locator("label.tile", has=page.locator("input[value=request]")).click()
    expect(page.locator("input[value=request]")).to_be_focused()
    page.wait_for_timeout(300)  # a late heading focus would have taken it back by now
    expect(page.locator("input[value=request]")).to_be_focused()


def test_an_answer_lost_on_the_way_back_is_asked_for_again_with_the_same_key_and_files_once(new_page, api):
    page = new_page(service_workers="block")  # so that Playwright sees, and can cut, the page's own requests
    keys: list[str | None] = []

    def lose_the_first_answer(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server files the case...
            route.abort("connectionreset")  # ...and its answer never reaches the phone
        else:
            route.continue_()

    page.route("**/api/case-intake/cases", lose_the_first_answer)
    page.goto("/")
    description = f"垃圾三天没人收。{uuid.uuid4().hex[:8]}"
    file_case(page, None, description)
    expect(page.locator("h1")).to_contain_text("等待发送", timeout=15_000)

    page.click("#retry")
    expect(page.locator("#tracking-code")).to_have_text(TRACKING_CODE, timeout=15_000)
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0] is not None
    assert len(office_cases_with(api, description)) == 1


def test_a_refused_case_goes_to_needs_attention_and_can_be_changed_and_sent_again(new_page, shots):
    page = new_page(service_workers="block")
    problem = {
        "type": "about:blank",
        "title": "The request is not valid",
        "status": 422,
        "detail": "One or more fields are not valid.",
        "errors": [{"loc": ["body", "description"], "msg": "The description is not accepted.", "type": "x"}],
    }
    page.route(
        "**/api/case-intake/cases",
        lambda route: route.fulfill(status=422, content_type="application/problem+json", body=json.dumps(problem)),
    )
    page.goto("/")
    file_case(page, None, f"需要修改的事项 {uuid.uuid4().hex[:8]}")
    expect(page.locator("h1")).to_contain_text("没有发送成功", timeout=15_000)
    page.goto("/")
    attention = page.locator(".queue.attention")
    expect(attention).to_contain_text("The description is not accepted.")
    look(page, shots, "11-needs-attention")

    page.unroute("**/api/case-intake/cases")
    attention.get_by_role("button", name="修改后重发").click()
    expect(page.locator("h1")).to_have_text("请确认")
    page.click("#send")
    expect(page.locator("#tracking-code")).to_have_text(TRACKING_CODE, timeout=15_000)
    page.goto("/")
    expect(page.locator(".queue.attention")).to_have_count(0)
    expect(page.locator(".queue.sent .code-link")).to_have_count(1)
