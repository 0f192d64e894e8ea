"""The deputies', station staff's and NPC office's screens in a real Chromium at 360 px: a case reaching a
deputy's inbox live, accepted and (offline) resolved, rated by the villager and counted on the office's
dashboard; an internal note and a referral to an organisation picked from the list; staff filing for a caller;
every main screen in both languages, checked for overflow, small text, small targets and contrast, and saved as
a screenshot."""

import datetime as dt
import re
import time
import uuid
from pathlib import Path

import httpx
import pyotp
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from shared.types import TRACKING_CODE_PATTERN

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PASSWORD = "demo-pass-2026"
TRACKING_CODE = re.compile(TRACKING_CODE_PATTERN)

AUDIT = (Path(__file__).parent / "work_audit.js").read_text()  # overflow, text size, targets, contrast


def look(page: Page, shots: Path, name: str) -> None:
    """Let the screen settle, audit it, and save it for a human to look at."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / f"work-{name}.png"), full_page=True)
    problems = page.evaluate(AUDIT)
    assert not problems, f"{name}: {problems}"


def sign_in(page: Page, path: str, username: str, heading: str) -> None:
    page.goto(path)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#signin")
    expect(page.locator("h1")).to_have_text(heading, timeout=20_000)  # argon2 takes its time on a busy machine


def pick(page: Page, selector: str, index: int = 1) -> str:
    """Choose the `index`-th real option of a grid picker once it has loaded."""
    locator = page.locator(f"{selector}:not([disabled]) option:nth-child(2)")
    locator.wait_for(state="attached")
    page.select_option(selector, index=index)
    return page.input_value(selector)


def token(api: httpx.Client, username: str) -> dict[str, str]:
    answer = api.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def a_group_and_its_deputy(api: httpx.Client, offset: int) -> tuple[str, str]:
    group = api.get("/api/grid/grids", params={"level": "group", "limit": 1, "offset": offset}).json()["items"][0]
    assignment = api.get("/api/grid/assignments", params={"grid_id": group["id"], "active": True}).json()["items"][0]
    return group["id"], api.get(f"/api/deputy/deputies/{assignment['deputy_id']}").json()["code"]


def figure(page: Page, selector: str) -> int:
    return int(page.locator(f"{selector} strong").text_content())


def waiting_work(page: Page) -> int:
    return page.evaluate("self.ddgQueue.commands().then(c => c.filter(x => x.op === 'work.post').length)")


def test_a_case_reaches_the_deputy_live_is_resolved_offline_once_rated_and_counted(new_page, api, shots):
    office = new_page()
    sign_in(office, "/office/dashboard", "office", "统计")
    expect(office.locator("#fig-closed")).to_be_visible()
    closed_before, resolved_before = figure(office, "#fig-closed"), figure(office, "#fig-resolved")

    group_id, deputy_code = a_group_and_its_deputy(api, 7)
    deputy = new_page()
    sign_in(deputy, "/deputy", deputy_code, "我的待办")
    expect(deputy.locator(".live-status.on")).to_be_visible(timeout=15_000)

    description = f"村道上的路灯坏了一排，晚上看不见路。{uuid.uuid4().hex[:6]}"
    filed = api.post(
        "/api/case-intake/cases",
        json={"kind": "request", "category": "roads", "description": description, "grid_id": group_id},
        headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"},
    ).json()
    code, filer_key = filed["tracking_code"], filed["filer_key"]

    item = deputy.locator(".inbox li", has_text=code)  # live: nobody presses "refresh"
    expect(item).to_be_visible(timeout=15_000)
    expect(item).to_contain_text(description[:12])
    look(deputy, shots, "zh-deputy-1-inbox")

    item.locator("a").click()
    expect(deputy.locator("h1")).to_have_text(f"案件 {code}")
    look(deputy, shots, "zh-deputy-2-case")
    deputy.click("#act-accept summary")
    deputy.fill("#accept-note", "今天下午去现场看看")
    deputy.click("#do-accept")
    expect(deputy.locator("#case-status")).to_have_text("已受理")

    keys: list[str] = []
    deputy.on(
        "request", lambda r: keys.append(r.headers.get("idempotency-key", "")) if r.url.endswith("/resolve") else None
    )
    deputy.context.set_offline(True)
    deputy.click("#act-resolve summary")
    deputy.fill("#resolve-resolution", "已联系供电所，换好了 12 盏路灯。")
    deputy.click("#do-resolve")
    expect(deputy.locator(".outbox .pending.waiting")).to_contain_text(f"办结 {code}", timeout=15_000)
    expect(deputy.locator("#case-status")).to_have_text("已办结，待群众确认")
    expect(deputy.locator("#status-pending")).to_be_visible()
    look(deputy, shots, "zh-deputy-3-case-offline-waiting")
    seen = api.get(f"/api/case-intake/cases/track/{code}").json()
    assert seen["status"] == "accepted", "nothing left the phone while it was offline"

    deputy.context.set_offline(False)  # `online`: the queue sends it by itself
    deadline = time.monotonic() + 20
    while waiting_work(deputy):
        assert time.monotonic() < deadline, "the resolution was never sent"
        deputy.wait_for_timeout(250)
    deputy.evaluate("self.ddgQueue.replay({force: true})")  # nothing is left to send a second time
    case = api.get(f"/api/case-intake/cases/track/{code}").json()
    assert case["status"] == "resolved"
    assert [step["to_status"] for step in case["timeline"]].count("resolved") == 1
    assert len(keys) >= 1 and len(set(keys)) == 1, f"every try carried the same Idempotency-Key: {keys}"

    rated = api.post(
        f"/api/case-intake/cases/track/{code}/confirm",
        json={"rating": "satisfied", "comment": "亮了"},
        headers={"X-Filer-Key": filer_key, "Idempotency-Key": f"e2e-{uuid.uuid4()}"},
    )
    assert rated.status_code == 200 and rated.json()["status"] == "closed"

    office.reload()
    expect(office.locator("#fig-closed strong")).to_have_text(str(closed_before + 1))
    assert figure(office, "#fig-resolved") == resolved_before + 1
    expect(office.locator("#chart-rates")).to_contain_text("满意率")
    look(office, shots, "zh-office-2-dashboard")


def test_a_deputy_writes_an_internal_note_and_refers_the_case_to_an_organisation_picked_from_the_list(
    new_page, api, shots
):
    group_id, deputy_code = a_group_and_its_deputy(api, 13)
    body = {"kind": "request", "category": "water", "description": "水费一下涨了一倍。", "grid_id": group_id}
    filed = api.post("/api/case-intake/cases", json=body, headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"}).json()
    code = filed["tracking_code"]
    page = new_page()
    sign_in(page, f"/deputy/case/{filed['id']}", deputy_code, f"案件 {code}")
    page.click("#act-accept summary")
    page.click("#do-accept")
    expect(page.locator("#case-status")).to_have_text("已受理")

    page.click("#act-note summary")
    page.fill("#note-note", "已电话联系村民，明天上午去看水表。")
    page.click("#do-note")
    expect(page.locator(".timeline li.internal")).to_contain_text("已电话联系村民，明天上午去看水表。")
    expect(page.locator("#case-status")).to_have_text("已受理")  # a note changes nothing else
    tracked = api.get(f"/api/case-intake/cases/track/{code}").json()
    assert "note" not in [step["action"] for step in tracked["timeline"]], "the villager never sees internal notes"

    page.click("#act-refer summary")
    expect(page.locator("#refer-org optgroup")).to_have_count(4)
    page.select_option("#refer-org", "water-bureau")
    page.fill("#refer-question", "请核实水费上涨的依据，并答复村民。")
    look(page, shots, "zh-deputy-7-refer-picker")
    page.click("#do-refer")
    expect(page.locator("#case-status")).to_have_text("已转办")
    expect(page.locator("[aria-labelledby=referrals-title]")).to_contain_text("市水利局 · 政府部门")
    look(page, shots, "zh-deputy-8-case-noted-and-referred")
    referrals = api.get(f"/api/case-intake/cases/{filed['id']}/referrals", headers=token(api, "office")).json()
    assert [(item["organisation"], item["organisation_kind"]) for item in referrals["items"]] == [
        ("water-bureau", "government")
    ]


def test_a_field_visit_for_a_case_keeps_the_place_and_puts_the_photo_on_the_case(new_page, api, shots, tmp_path):
    group_id, deputy_code = a_group_and_its_deputy(api, 11)
    body = {"kind": "request", "category": "water", "description": "自来水三天没来了。", "grid_id": group_id}
    filed = api.post("/api/case-intake/cases", json=body, headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"}).json()
    photo = tmp_path / "pipe.jpg"
    Image.new("RGB", (2400, 1800), (90, 140, 200)).save(photo, quality=92)
    page = new_page(geolocation={"latitude": 27.9153, "longitude": 112.5263}, permissions=["geolocation"])
    sign_in(page, f"/deputy/case/{filed['id']}", deputy_code, f"案件 {filed['tracking_code']}")

    page.click("#act-visit")
    expect(page.locator("#visit-summary")).to_have_value(f"为 {filed['tracking_code']} 实地走访")
    page.fill("#visit-notes", "水管在村口断了，已叫水厂来修。")
    page.click("#gps")
    expect(page.locator("#gps-status")).to_contain_text("27.91530")
    page.set_input_files("#photo-gallery", str(photo))
    expect(page.locator("#photo-list li")).to_have_count(1)
    look(page, shots, "zh-deputy-4-visit-for-a-case")
    page.click("#save-visit")

    expect(page.locator("h1")).to_have_text(f"案件 {filed['tracking_code']}")
    page.reload()
    thumbnail = page.locator(".photo-strip img")
    expect(thumbnail).to_have_count(1)
    deadline = time.monotonic() + 10
    while not page.evaluate("document.querySelector('.photo-strip img').naturalWidth"):
        assert time.monotonic() < deadline, "the photo never showed"
        page.wait_for_timeout(200)
    case = api.get(f"/api/case-intake/cases/track/{filed['tracking_code']}").json()
    assert len(case["photos"]) == 1 and case["photos"][0]["width"] <= 1280  # scaled on the phone
    deputy_id = api.get("/api/deputy/deputies", params={"q": deputy_code}).json()["items"][0]["id"]
    headers = token(api, deputy_code)
    entries = api.get(f"/api/deputy/deputies/{deputy_id}/record", params={"kind": "field_visit"}, headers=headers)
    [entry] = entries.json()["items"]
    assert entry["location"] == {"lat": 27.9153, "lon": 112.5263}
    assert entry["notes"] == "水管在村口断了，已叫水厂来修。"


@pytest.fixture(scope="module")
def session_now(api: httpx.Client) -> str:
    """A reception session (outside the station, so any hour will do) that has just begun."""
    station = api.get("/api/station-scheduling/stations", params={"tier": "main"}).json()["items"][0]
    deputy = api.get("/api/deputy/deputies", params={"q": "D0003"}).json()["items"][0]
    now = dt.datetime.now(dt.UTC)
    body = {
        "station_id": station["id"],
        "mode": "outside",
        "place": "韶山村村委会",
        "starts_at": (now + dt.timedelta(seconds=3)).isoformat(),
        "ends_at": (now + dt.timedelta(hours=2)).isoformat(),
        "capacity": 10,
        "topic": "听取群众对村道修缮的意见",
        "deputy_ids": [deputy["id"]],
        "short_notice_reason": "村里临时请求",
    }
    headers = {**token(api, "staff"), "Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    answer = api.post("/api/station-scheduling/sessions", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    time.sleep(3)
    return answer.json()["id"]


def test_station_staff_file_a_case_for_a_caller(new_page, api, shots):
    page = new_page()
    sign_in(page, "/staff", "staff", "代群众登记")
    description = f"电话反映：河边护栏断了，孩子放学要经过。{uuid.uuid4().hex[:6]}"
    page.select_option("#f-channel", "phone")
    page.select_option("#f-kind", "request")
    page.fill("#f-description", description)
    page.fill("#f-name", "王大妈")
    page.fill("#f-phone", "13912345678")
    pick(page, "#township")
    pick(page, "#village")
    group_id = pick(page, "#group")
    look(page, shots, "zh-staff-1-file")
    page.click("#file-send")

    expect(page.locator("#filed-code")).to_have_text(TRACKING_CODE, timeout=15_000)
    code = page.locator("#filed-code").text_content()
    case = api.get(f"/api/case-intake/cases/track/{code}").json()
    assert (case["description"], case["grid_id"], case["channel"]) == (description, group_id, "phone")
    contact = api.get(f"/api/case-intake/cases/{case['id']}/contact", headers=token(api, "office")).json()
    assert (contact["name"], contact["phone"]) == ("王大妈", "13912345678")
    look(page, shots, "zh-staff-2-filed")


def test_station_staff_register_a_walk_in_and_record_what_was_answered(new_page, api, shots, session_now):
    page = new_page()
    sign_in(page, f"/staff/desk?session={session_now}", "staff", "接待台")
    page.click("#walk-in summary")
    page.fill("#w-topic", "村道坑洼")
    page.fill("#w-name", "李大爷")
    page.click("#walk-in button[type=submit]")
    expect(page.locator("[role=status] .notice")).to_contain_text("已发送")
    page.click("#record summary")
    expect(page.locator("#r-booking option")).to_have_count(2)  # "a new walk-in", and the one just registered
    page.select_option("#r-booking", index=1)
    pick(page, "#township")
    pick(page, "#village")
    pick(page, "#group")
    page.fill("#r-raised", "村道坑洼，下雨天积水。")
    page.fill("#r-answer", "已列入乡里下月的修路计划，月底前动工。")
    page.fill("#r-summary", "村道坑洼积水，答复已列入修路计划")
    look(page, shots, "zh-staff-3-desk-record")
    page.click("#record button[type=submit]")
    expect(page.locator("#record-list li")).to_have_count(1)
    expect(page.locator("#record-list")).to_contain_text("当场答复了")
    records = api.get(
        "/api/station-scheduling/records", params={"session_id": session_now}, headers=token(api, "staff")
    )
    [record] = records.json()["items"]
    assert (record["outcome"], record["answer"]) == ("answered", "已列入乡里下月的修路计划，月底前动工。")


def _a_dispute_for(api: httpx.Client, code: str) -> None:
    deputy = api.get("/api/deputy/deputies", params={"q": code}).json()["items"][0]
    grid_id = api.get("/api/grid/assignments", params={"deputy_id": deputy["id"]}).json()["items"][0]["grid_id"]
    body = {
        "kind": "dispute",
        "category": "neighbours",
        "description": "邻居家的树挡住了我家的光，商量了几次都不行。",
        "grid_id": grid_id,
    }
    answer = api.post("/api/case-intake/cases", json=body, headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"})
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_main_screen_reads_well_at_360_px(new_page, api, shots, session_now, lang):
    _a_dispute_for(api, "D0001")
    screens = {
        "D0001": [
            ("deputy-1-inbox", "/deputy"),
            ("deputy-4-visit", "/deputy/visit"),
            ("deputy-5-duty", "/deputy/duty"),
            ("deputy-6-proposal", "/deputy/proposal"),
        ],
        "staff": [
            ("staff-1-file", "/staff/file"),
            ("staff-3-desk", "/staff/desk"),
            ("staff-3-desk-session", f"/staff/desk?session={session_now}"),
            ("staff-4-sessions", "/staff/sessions"),
        ],
        "office": [
            ("office-1-review", "/office/review"),
            ("office-2-dashboard", "/office/dashboard"),
            ("office-3-coverage", "/office/coverage"),
        ],
    }
    for username, views in screens.items():
        page = new_page()
        page.goto("/")
        if lang == "en":
            page.click("#lang")
            expect(page.locator("h1")).to_have_text("Tell your deputy")
        page.goto(views[0][1])
        look(page, shots, f"{lang}-{'deputy' if username == 'D0001' else username}-0-sign-in")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("#signin")
        expect(page.locator(".work-nav")).to_be_visible(timeout=20_000)
        if username == "D0001":
            first = page.locator(".inbox li a").first
            first.click()
            expect(page.locator("#case-status")).to_be_visible()
            page.click("details.action summary >> nth=0")
            look(page, shots, f"{lang}-deputy-2-case")
        for name, path in views:
            page.goto(path)
            expect(page.locator("h1")).to_be_visible()
            expect(page.locator(".who")).to_be_visible()
            look(page, shots, f"{lang}-{name}")


def test_an_official_with_two_step_sign_in_is_asked_for_the_authenticators_code(new_page, api, shots):
    office = token(api, "office")
    username = f"desk-{uuid.uuid4().hex[:6]}"
    account = {"username": username, "password": PASSWORD, "name": "值班员", "roles": ["station_staff"]}
    assert api.post("/api/admin/accounts", headers=office, json=account).status_code == 201
    official = token(api, username)
    authenticator = pyotp.TOTP(api.post("/api/auth/totp/setup", headers=official).json()["secret"])
    turned_on = api.post("/api/auth/totp/enable", headers=official, json={"code": authenticator.now()})
    assert turned_on.status_code == 204

    page = new_page()
    page.goto("/staff")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#signin")
    expect(page.locator("#totp")).to_be_visible()
    expect(page.locator(".field-error")).to_contain_text("身份验证器")
    look(page, shots, "totp-zh-CN")
    page.fill("#totp", "12345")
    page.click("#signin")
    expect(page.locator(".field-error")).to_contain_text("6位验证码")
    page.fill("#totp", authenticator.at(time.time() - 3600))
    page.click("#signin")
    expect(page.locator(".field-error")).to_contain_text("验证码不对")
    # the code of the next 30-second step: the one that turned TOTP on cannot be used again
    page.fill("#totp", authenticator.at(time.time() + 30))
    page.click("#signin")
    expect(page.locator("h1")).to_have_text("代群众登记", timeout=20_000)
