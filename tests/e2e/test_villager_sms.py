"""SMS about a villager's case in a real Chromium at 360 px: offered on the review screen once a phone is given
(off until ticked), confirmed on the "sent" screen, and stopped from the home screen for a case filed from this
phone (the number leaves the notification service: nothing more is texted)."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.test_pwa import TRACKING_CODE, look, pick

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_a_villager_asks_for_sms_on_the_review_screen_and_stops_it_from_home(new_page, api, shots):
    page = new_page()
    page.goto("/")
    page.click("#start-file")
    page.locator("label.tile", has=page.locator("input[value=request]")).click()
    page.locator("label.tile", has=page.locator("input[value=water]")).click()
    page.click("#next")
    page.fill("#what", f"路灯坏了一个星期。{uuid.uuid4().hex[:6]}")
    page.click("#next")
    pick(page, "#township")
    pick(page, "#village")
    pick(page, "#group")
    page.click("#next")
    expect(page.locator("h1")).to_have_text("请确认")
    expect(page.locator("#sms")).to_have_count(0)  # no phone given: nothing to offer
    page.click(".review-row:has-text('联系电话') a.edit")
    page.fill("#phone", "13712345678")
    page.click("#next")
    page.click("#next")
    expect(page.locator("#sms")).not_to_be_checked()  # offered, never assumed
    page.check("#sms")
    look(page, shots, "sms-1-review")
    page.click("#send")

    code = page.locator("#tracking-code")
    expect(code).to_have_text(TRACKING_CODE, timeout=15_000)
    tracking_code = code.text_content()
    expect(page.locator(".sms-note")).to_contain_text("发短信到您留的号码")
    look(page, shots, "sms-2-sent")

    page.goto("/")
    stop = page.locator(f"#sms-stop-{tracking_code}")
    expect(stop).to_be_visible()
    stop.click()
    expect(page.locator(".sms-stop [role=status]")).to_have_text("这件诉求不再发短信。")
    page.reload()
    expect(page.locator(".queue.sent")).to_contain_text(tracking_code)
    expect(page.locator(f"#sms-stop-{tracking_code}")).to_have_count(0)
