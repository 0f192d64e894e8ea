"""Field-test fixes (issue 19) in a real Chromium: a deputy's very first session works offline after a reload,
and their offline case screen agrees with the inbox under one officials' banner; every main screen at 240 CSS px
(360 px at 150% text) and 180 px (200%) without sideways scroll, the tracking code whole; "use my location" far
outside the city; a photo upload on a 150 kbit/s link showing its progress, never "no network"; and the
confirmations of a sent offline case, a phone sign-in and a rating. Screenshots go to /tmp/field-a/."""

import time
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_pwa import TRACKING_CODE, file_case, office_cases_with, wait_js
from tests.e2e.test_villager_photos import camera_photo, file_with_photo  # noqa: F401 (camera_photo: a fixture)
from tests.e2e.test_villager_screens import new_phone, resolve_as_deputy
from tests.e2e.test_work_screens import PASSWORD, a_group_and_its_deputy

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SHOTS = Path("/tmp/field-a/after")
WORK_MODULES = sorted(
    "/" + str(path.relative_to(Path(__file__).parents[2] / "pwa"))
    for path in (Path(__file__).parents[2] / "pwa").glob("work/**/*")
    if path.suffix in {".js", ".css"}
)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def file_for(api: httpx.Client, group_id: str, description: str) -> dict:
    return api.post(
        "/api/case-intake/cases",
        json={"kind": "request", "category": "roads", "description": description, "grid_id": group_id},
        headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"},
    ).json()


def test_a_deputys_first_session_opens_offline_and_the_offline_case_agrees_with_the_inbox(new_page, api):
    group_id, deputy_code = a_group_and_its_deputy(api, 11)
    code = file_for(api, group_id, f"桥头的护栏断了，孩子上学要经过。{uuid.uuid4().hex[:6]}")["tracking_code"]

    deputy = new_page()  # a fresh phone: no service worker yet, nothing cached
    deputy.goto("/deputy")
    deputy.fill("#username", deputy_code)
    deputy.fill("#password", PASSWORD)
    deputy.click("#signin")
    expect(deputy.locator("h1")).to_have_text("我的待办", timeout=20_000)
    item = deputy.locator(".inbox li", has_text=code)
    expect(item).to_be_visible(timeout=20_000)
    item.locator("a").click()
    expect(deputy.locator("h1")).to_have_text(f"案件 {code}")
    deputy.click("#act-accept summary")
    deputy.click("#do-accept")
    expect(deputy.locator("#case-status")).to_have_text("已受理")
    # the phone has kept every module of the officials' side in this first session
    wait_js(
        deputy,
        "(urls) => Promise.all(urls.map((u) => caches.match(u))).then((found) => found.every(Boolean))",
        WORK_MODULES,
        timeout=20,
    )

    deputy.context.set_offline(True)
    deputy.reload()
    expect(deputy.locator("h1")).to_have_text(f"案件 {code}", timeout=15_000)
    expect(deputy.locator("#case-status")).to_have_text("已受理")
    deputy.click("#act-resolve summary")
    deputy.fill("#resolve-resolution", "已经请村里把护栏焊好了。")
    deputy.click("#do-resolve")
    expect(deputy.locator(".outbox .pending.waiting")).to_contain_text(f"办结 {code}", timeout=15_000)
    expect(deputy.locator("#case-status")).to_have_text("已办结，待群众确认")
    banner = deputy.locator("#banner .notice")
    expect(banner).to_have_count(1)
    expect(banner).to_contain_text("办理操作")  # the officials' words, not the villager's "您填写的事项"
    expect(deputy.locator("main .notice")).to_have_count(0)  # no second and third banner above the case
    shot(deputy, "360-deputy-case-offline")

    deputy.click("a.back")
    expect(deputy.locator("h1")).to_have_text("我的待办")
    card = deputy.locator(".inbox li", has_text=code)
    expect(card.locator(".state")).to_have_text("已办结，待群众确认")
    deputy.reload()  # the inbox too opens offline
    expect(deputy.locator(".inbox li", has_text=code).locator(".state")).to_have_text("已办结，待群众确认")
    shot(deputy, "360-deputy-inbox-offline")
    deputy.context.set_offline(False)
    deadline = time.monotonic() + 20
    while api.get(f"/api/case-intake/cases/track/{code}").json()["status"] != "resolved":
        assert time.monotonic() < deadline, "the resolution was never sent"
        time.sleep(0.5)


def test_use_my_location_far_outside_the_city_says_so_and_leaves_the_choice_to_the_pickers(new_page, api):
    group = api.get("/api/grid/grids", params={"level": "group", "limit": 1, "offset": 3}).json()["items"][0]
    far = {"latitude": group["centre_lat"] + 0.37, "longitude": group["centre_lon"]}  # some 41 km north
    nearest = api.get("/api/grid/resolve", params={"lat": far["latitude"], "lon": far["longitude"]}).json()
    assert nearest["method"] == "nearest_centre" and nearest["distance_m"] > 5000, nearest

    page = new_page(geolocation=far, permissions=["geolocation"])
    page.goto("/")
    page.click("#start-file")
    page.locator("label.tile", has=page.locator("input[value=request]")).click()
    page.locator("label.tile", has=page.locator("input[value=roads]")).click()
    page.click("#next")
    page.fill("#what", "村口的路灯坏了")
    page.click("#next")
    page.click("#locate")
    status = page.locator(".locate-status")
    expect(status.locator(".notice.error")).to_contain_text("不在本市范围内", timeout=15_000)
    expect(status).to_contain_text(f"约 {round(nearest['distance_m'] / 1000)} 公里")
    expect(status.locator(".notice.ok")).to_have_count(0)
    expect(page.locator("#township")).to_be_focused()
    assert page.input_value("#township") == ""
    shot(page, "360-where-far-away")
    page.click("#next")  # nothing was chosen for the villager
    expect(page.locator("form > p.field-error")).to_have_text("请一直选到村小组（小区）。")
    assert page.url.endswith("/file/3")


def test_a_photo_at_150_kbit_s_shows_its_progress_and_arrives_without_a_network_alarm(new_page, api, camera_photo):  # noqa: F811
    page = new_page()
    page.goto("/")
    wait_js(page, "() => navigator.serviceWorker.controller !== null", timeout=20)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    kbit_s = 150_000 / 8  # bytes per second
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 300, "downloadThroughput": kbit_s, "uploadThroughput": kbit_s},
    )
    description = f"河堤塌了一段，照片上看得清。{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    file_with_photo(page, camera_photo, description)

    headings: list[str] = []
    progress: list[int] = []
    shown = False
    while not page.locator("#tracking-code").count():
        assert time.monotonic() - started < 120, f"never sent: {headings[-3:]}"
        headings.append(page.locator("h1").text_content() or "")
        line = page.locator("#send-progress")
        if line.count():
            text = line.text_content() or ""
            if "KB" in text:
                progress.append(int(text.split("已发送 ")[1].split(" KB")[0]))
                if not shown and len(progress) > 4:
                    shot(page, "360-sending-progress")
                    shown = True
        page.wait_for_timeout(400)
    elapsed = time.monotonic() - started
    expect(page.locator("#tracking-code")).to_have_text(TRACKING_CODE)
    assert not any("等待发送" in heading for heading in headings), "the network was called down while it worked"
    assert any("正在发送" in heading for heading in headings)
    assert len(set(progress)) >= 3 and progress == sorted(progress), f"the bytes sent grow: {progress}"
    assert elapsed > 10, f"the link was not slow ({elapsed:.1f} s): the test shows nothing"
    found = office_cases_with(api, description)
    assert len(found) == 1 and len(found[0]["photos"]) == 1


def test_the_villager_is_told_when_a_saved_case_went_a_rating_was_sent_and_the_sign_in_worked(new_page, api):
    page = new_page()
    page.goto("/")
    wait_js(page, "() => localStorage.getItem('ddg.atlas.v1') !== null", timeout=15)
    page.context.set_offline(True)
    description = f"水井的盖子丢了，很危险。离线 {uuid.uuid4().hex[:8]}"
    group_id = file_case(page, None, description)
    expect(page.locator("h1")).to_contain_text("等待发送", timeout=15_000)
    expect(page.locator("#banner .notice.waiting")).to_have_count(0)  # the screen itself says it waits
    page.goto("/deputies")  # the villager is elsewhere when the signal returns
    page.context.set_offline(False)
    said = page.locator("#banner a.notice.ok")
    expect(said).to_contain_text("已经发出去了", timeout=20_000)
    code = page.evaluate("self.ddgQueue.sent().then((s) => s[0].trackingCode)")
    expect(said).to_contain_text(code)
    shot(page, "360-saved-case-went")
    said.click()
    expect(page.locator("#tracking-code")).to_have_text(code)

    resolve_as_deputy(api, code, group_id)
    page.goto(f"/track/{code}")
    expect(page.locator("#confirm-form")).to_be_visible()
    page.locator("#confirm-form label.tile", has=page.locator("input[value=satisfied]")).click()
    page.click("#confirm")
    expect(page.locator("#case-status")).to_have_text("已结束", timeout=15_000)
    expect(page.locator(".decide-slot .notice.ok")).to_contain_text("评价已经提交，谢谢您")
    expect(page.locator("#banner .notice.ok")).to_have_count(0)  # said once, where the villager looks
    shot(page, "360-rating-sent")

    phone = new_phone()
    page.goto("/signin")
    page.fill("#signin-phone", phone)
    page.click("#send-code")
    expect(page.locator("#signin-code")).to_be_visible()
    page.fill("#signin-code", api.get("/api/auth/dev/otp", params={"phone": phone}).json()["code"])
    page.click("#signin-go")
    expect(page.locator("#banner .notice.ok")).to_contain_text(f"登录成功：{phone[:3]}****{phone[-4:]}")
    shot(page, "360-signed-in")
    page.click("#start-file")  # the next screen no longer says it
    expect(page.locator("#banner .notice.ok")).to_have_count(0)


WHOLE = """() => {
  const problems = [];
  const wide = document.scrollingElement.scrollWidth;
  if (wide > innerWidth) problems.push(`page ${wide}`);
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || el.closest('.skip') || box.width <= 1) continue; // unseen, or visually hidden
    if (box.right > innerWidth + 1 || box.left < -1) problems.push(`outside ${el.tagName}.${el.className}`);
    const style = getComputedStyle(el);
    const cuts = !['visible', 'auto', 'scroll'].includes(style.overflowX) || ['INPUT', 'SELECT'].includes(el.tagName);
    const cut = cuts && el.clientWidth && el.scrollWidth > el.clientWidth + 1;
    if (cut) problems.push(`cut ${el.tagName}#${el.id}.${el.className}`);
  }
  return problems.slice(0, 5);
}"""


def whole(page: Page, name: str) -> None:
    """No sideways scroll, nothing outside the screen, nothing cut; the app's name whole; saved for a look."""
    page.wait_for_timeout(300)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SHOTS / f"{width}-{name}.png"), full_page=True)
    assert page.evaluate(WHOLE) == [], f"{name} at {width} px: {page.evaluate(WHOLE)}"
    brand = page.locator("#brand-name")
    assert brand.text_content() == "人大代表进网格" and brand.evaluate("(el) => el.scrollWidth <= el.clientWidth")


@pytest.mark.parametrize("width", [240, 180])  # 360 px at 150 % and at 200 % text
def test_every_main_screen_works_at_large_text_without_sideways_scroll_or_cut_words(new_page, api, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    group = api.get("/api/grid/grids", params={"level": "group", "limit": 1, "offset": 21}).json()["items"][0]
    geolocation = {"latitude": group["centre_lat"], "longitude": group["centre_lon"]}
    page = new_page(geolocation=geolocation, permissions=["geolocation"])
    page.set_viewport_size({"width": width, "height": 740})
    page.goto("/")
    whole(page, "home")
    page.click("#start-file")
    page.locator("label.tile", has=page.locator("input[value=dispute]")).click()
    page.locator("label.tile", has=page.locator("input[value=neighbours]")).click()
    whole(page, "file-1")
    page.click("#next")
    page.fill("#what", f"邻居家的狗晚上一直叫，睡不着。{uuid.uuid4().hex[:6]}")
    whole(page, "file-2")
    page.click("#next")
    page.click("#locate")
    expect(page.locator(".locate-status .notice.ok")).to_be_visible(timeout=15_000)
    wait_js(page, "(id) => document.querySelector('#group').value === id", group["id"])
    whole(page, "file-3")
    page.click("#next")
    whole(page, "file-4")
    page.click("#send")
    code = page.locator("#tracking-code")
    expect(code).to_have_text(TRACKING_CODE, timeout=20_000)
    whole(page, "sent")
    inside = "(el) => { const r = el.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth; }"
    assert code.evaluate(inside) and code.evaluate("(el) => el.scrollWidth <= el.clientWidth"), "the code is cut"
    tracking = code.text_content()
    page.goto("/track")
    page.fill("#code", tracking)
    whole(page, "track-input")
    page.goto(f"/track/{tracking}")
    expect(page.locator("#case-status")).to_be_visible()
    whole(page, "track-case")
    for path in ("/cases", "/signin", "/book", "/board", "/deputies", "/notifications"):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        page.wait_for_load_state("networkidle")
        whole(page, path.strip("/"))

    _, deputy_code = a_group_and_its_deputy(api, 21)
    page.goto("/deputy")
    whole(page, "deputy-signin")
    page.fill("#username", deputy_code)
    page.fill("#password", PASSWORD)
    page.click("#signin")
    expect(page.locator("h1")).to_have_text("我的待办", timeout=20_000)
    expect(page.locator(".inbox li", has_text=tracking)).to_be_visible(timeout=20_000)
    whole(page, "deputy-inbox")
    page.locator(".inbox li", has_text=tracking).locator("a").click()
    expect(page.locator("h1")).to_contain_text(tracking)
    whole(page, "deputy-case")
