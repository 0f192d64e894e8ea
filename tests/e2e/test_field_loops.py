"""Field-test fixes at 360 px (#19 items 6–10, 17): booking a session twice, a report left half-done, my cases
told apart, the deputy's visit form showing its error where it is, going back from "换一个", the deputy's role
not dressed as a button, and a villager's case taken into a micro-project on its timeline."""

import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_pwa import look, wait_js
from tests.e2e.test_villager_screens import (
    choose_village,
    file_here,
    new_phone,
    place,  # noqa: F401 (a fixture)
    publish_micro_project,
    schedule_session,
    sign_in,
)
from tests.e2e.test_work_screens import sign_in as official_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def in_view(page: Page, selector: str) -> bool:
    return page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect(); "
        "return r.top >= 0 && r.bottom <= window.innerHeight; }",
        selector,
    )


def test_a_session_booked_already_says_so_and_offers_to_cancel(new_page, api, shots, place):  # noqa: F811
    phone = new_phone()
    session = schedule_session(api, place, capacity=5, days=5)
    slot_of = f"[data-session-id='{session['id']}']"
    first, second = new_page(), new_page()
    for page in (first, second):
        sign_in(page, api, phone)
        page.goto("/book")
        choose_village(page, place)
        expect(page.locator(slot_of)).to_be_visible()
    slot = first.locator(slot_of)
    slot.locator(".book-open").click()
    slot.locator("textarea").fill("村里的自来水问题")
    slot.locator("button[type=submit]").click()
    expect(first.locator("#booking-result")).to_contain_text("预约成功")
    expect(first.locator(f"{slot_of} .booked-here")).to_contain_text("您已预约这一场")
    expect(first.locator(f"{slot_of} .book-open")).to_have_count(0)

    # the other phone still shows the session as open: booking it again is refused and said plainly
    stale = second.locator(slot_of)
    stale.locator(".book-open").click()
    stale.locator("textarea").fill("再约一次")
    stale.locator("button[type=submit]").click()
    expect(second.locator("#booking-result")).to_contain_text("您已经预约了这一场")
    look(second, shots, "field-6-booked-already")
    assert second.evaluate("self.ddgQueue.attention().then((items) => items.length)") == 0
    second.goto("/")
    expect(second.locator(".notice.error")).to_have_count(0)  # nothing left "needing attention"
    second.goto("/book")
    second.on("dialog", lambda dialog: dialog.accept())
    second.locator(f"{slot_of} button", has_text="取消我的预约").click()
    expect(second.locator(".notice.ok")).to_contain_text("预约已取消")
    expect(second.locator(f"{slot_of} .book-open")).to_be_visible()


def test_a_report_left_half_done_is_offered_to_continue_or_start_anew(new_page, shots):
    page = new_page()
    page.goto("/")
    page.click("#start-file")
    page.locator("label.tile", has=page.locator("input[value=request]")).click()
    page.locator("label.tile", has=page.locator("input[value=water]")).click()
    page.click("#next")
    page.fill("#what", "村口的路灯坏了一个月")
    page.goto("/")
    expect(page.locator("#draft-choice")).to_contain_text("村口的路灯坏了一个月")
    expect(page.locator("#start-file")).to_have_count(0)
    look(page, shots, "field-7-draft-choice")
    page.click("#continue-draft")
    expect(page).to_have_url(re.compile(r"/file/3$"))
    page.goto("/")
    page.click("#new-draft")
    expect(page).to_have_url(re.compile(r"/file/1$"))
    assert page.locator("input[name=kind]:checked").count() == 0
    page.goto("/")
    expect(page.locator("#draft-choice")).to_have_count(0)
    page.click("#start-file")
    page.locator("label.tile", has=page.locator("input[value=request]")).click()
    page.locator("label.tile", has=page.locator("input[value=water]")).click()
    page.click("#next")
    expect(page.locator("#what")).to_have_value("")


def test_my_cases_are_told_apart_and_the_place_can_be_kept(new_page, api, shots, place):  # noqa: F811
    page = new_page(geolocation=place["geolocation"], permissions=["geolocation"])
    sign_in(page, api, new_phone())
    words = f"自来水三天没来了{uuid.uuid4().hex[:6]}"
    file_here(page, words)
    code = page.locator("#tracking-code").text_content()
    page.goto("/cases")
    card = page.locator(".my-cases li", has_text=code)
    expect(card).to_contain_text(words)
    expect(card.locator(".case-place")).to_contain_text(place["group"]["name"])
    expect(card.locator(".case-last")).to_contain_text("最新：")
    look(page, shots, "field-8-my-cases")

    page.goto("/deputies")
    expect(page.locator("#place-name")).to_contain_text(place["group"]["name"])
    expect(page.locator(".deputy-role").first).to_contain_text("在本组的身份")
    assert page.locator(".deputy-card .badge, .deputy-card button").count() == 0  # nothing dressed as a button
    page.click("#change-place")
    look(page, shots, "field-10-change-place")
    page.click("#keep-place")
    expect(page.locator("#place-name")).to_contain_text(place["group"]["name"])
    expect(page.locator("#change-place")).to_be_focused()


def test_the_visit_form_shows_its_error_at_the_field(new_page, api, shots, place):  # noqa: F811
    page = new_page()
    deputy = place["deputies"][0]["code"]
    official_sign_in(page, "/deputy", deputy, "我的待办")
    page.goto("/deputy/visit")
    page.fill("#visit-summary", "")
    page.click("#save-visit")
    expect(page.locator("#visit-summary")).to_be_focused()
    expect(page.locator("#visit-summary")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#visit-summary-error")).to_be_visible()
    assert in_view(page, "#visit-summary") and in_view(page, "#visit-summary-error")
    look(page, shots, "field-9-visit-error")
    page.fill("#visit-summary", "走访了第1组")
    expect(page.locator("#visit-summary-error")).to_have_count(0)


def test_the_villager_follows_the_micro_project_their_case_became(new_page, api: httpx.Client, shots, place):  # noqa: F811
    filed = {"kind": "request", "category": "water", "description": "全组的水管太旧了", "grid_id": place["group"]["id"]}
    headers = {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    case = api.post("/api/case-intake/cases", json=filed, headers=headers).json()
    project = publish_micro_project(api, place, case)

    def noticed() -> bool:  # the project's events reach the case's timeline over the bus, shortly after
        read = api.get(f"/api/case-intake/cases/track/{case['tracking_code']}").json()
        return any((step.get("project") or {}).get("stage") == "in_notice" for step in read.get("timeline", []))

    deadline = time.monotonic() + 20
    while not noticed():
        assert time.monotonic() < deadline, "the project's notice never reached the case's timeline"
        time.sleep(0.25)
    page = new_page()
    page.goto(f"/track/{case['tracking_code']}")
    step = page.locator(".timeline li", has_text="纳入民生微实事")
    expect(step.last).to_contain_text(project["title"], timeout=20_000)
    expect(step.last).to_contain_text("公示中")
    look(page, shots, "field-17-case-project")
    step.last.locator("a", has_text="看这个项目的公开信息").click()
    expect(page.locator("#project")).to_contain_text(project["title"])
    wait_js(page, "() => location.pathname.startsWith('/project/')")
    look(page, shots, "field-17-project-page")
