"""The villager's other screens in a real Chromium at 360 px: "use my location", my cases with confirm-and-rate
and reopen, signing in with a phone and a code, booking a reception slot, the village board and my grid's
deputies — in zh-CN, and every one of them again in English."""

import random
import time
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_pwa import PASSWORD, TRACKING_CODE, deputy_code_of, look, office_cases_with, wait_js

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

CHINA = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def place(api: httpx.Client) -> dict:
    """A group of the demo city with its village, township, centre point and deputies (from the API)."""
    group = api.get("/api/grid/grids", params={"level": "group", "limit": 1, "offset": 37}).json()["items"][0]
    village = api.get(f"/api/grid/grids/{group['parent_id']}").json()
    township = api.get(f"/api/grid/grids/{village['parent_id']}").json()
    assignments = api.get("/api/grid/assignments", params={"grid_id": group["id"], "active": True}).json()["items"]
    deputies = [api.get(f"/api/deputy/deputies/{item['deputy_id']}").json() for item in assignments]
    return {
        "group": group,
        "village": village,
        "township": township,
        "geolocation": {"latitude": group["centre_lat"], "longitude": group["centre_lon"]},
        "deputies": deputies,
    }


def token(api: httpx.Client, username: str) -> str:
    answer = api.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    return answer.json()["access_token"]


def resolve_as_deputy(api: httpx.Client, code: str, group_id: str) -> None:
    """The deputy of the group accepts the case and resolves it, through the API."""
    headers = {"Authorization": f"Bearer {token(api, deputy_code_of(api, group_id))}"}
    case_id = api.get(f"/api/case-intake/cases/track/{code}").json()["id"]
    for action, body in (("accept", {}), ("resolve", {"resolution": "水管已经换了新的，水压正常。"})):
        answer = api.post(f"/api/case-intake/cases/{case_id}/{action}", json=body, headers=headers)
        assert answer.status_code == 200, answer.text


def sign_in(page: Page, api: httpx.Client, phone: str, shots=None, prefix: str = "") -> None:  # type: ignore[no-untyped-def]
    """Phone and a text-message code (read from the gateway's development endpoint)."""
    page.goto("/signin")
    page.fill("#signin-phone", phone)
    page.click("#send-code")
    expect(page.locator("#signin-code")).to_be_visible()
    code = api.get("/api/auth/dev/otp", params={"phone": phone}).json()["code"]
    page.fill("#signin-code", code)
    if shots:
        look(page, shots, f"{prefix}signin-code")
    page.click("#signin-go")
    expect(page.locator("#start-signin")).to_contain_text(f"{phone[:3]}****{phone[-4:]}")


def choose_village(page: Page, place: dict) -> None:
    """A phone that never filed: the screen asks for the village first."""
    page.select_option("#township", place["township"]["id"])
    has_village = "(id) => [...document.querySelector('#village').options].some((o) => o.value === id)"
    wait_js(page, has_village, place["village"]["id"])
    page.select_option("#village", place["village"]["id"])


def new_phone() -> str:
    return "139" + "".join(random.choices("0123456789", k=8))


def file_here(page: Page, description: str, kind: str = "request") -> None:
    """File through the four screens, placing it with "use my location"."""
    page.goto("/")
    page.click("#start-file")
    page.locator("label.tile", has=page.locator(f"input[value={kind}]")).click()
    page.locator("label.tile", has=page.locator("input[value=water]")).click()
    page.click("#next")
    page.fill("#what", description)
    page.click("#next")
    page.click("#locate")
    expect(page.locator(".locate-status .notice.ok")).to_be_visible(timeout=15_000)
    wait_js(page, "() => document.querySelector('#group') && document.querySelector('#group').value !== ''")
    page.click("#next")
    page.click("#send")
    expect(page.locator("#tracking-code")).to_have_text(TRACKING_CODE, timeout=15_000)


def reception_day(days: int) -> datetime:
    """09:00 China time on the first working day (Monday to Friday) at least `days` from now."""
    day = datetime.now(CHINA).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, tzinfo=CHINA)


def schedule_session(api: httpx.Client, place: dict, capacity: int, days: int) -> dict:
    """Station staff announce a reception day at the township's station with the group's deputy on duty."""
    stations = api.get("/api/station-scheduling/stations", params={"limit": 200}).json()["items"]
    station = next(s for s in stations if s["tier"] == "township" and s["township_grid_id"] == place["township"]["id"])
    starts = reception_day(days)
    body = {
        "station_id": station["id"],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": capacity,
        "topic": "人大代表接待日：用水和道路",
        "deputy_ids": [place["deputies"][0]["id"]],
    }
    headers = {"Authorization": f"Bearer {token(api, 'staff')}", "Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    answer = api.post("/api/station-scheduling/sessions", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return {**answer.json(), "station": station}


def publish_micro_project(api: httpx.Client, place: dict, case: dict | None = None) -> dict:
    """A deputy of the group proposes a project citing a case of the group (`case`, else one filed here); staff
    screen it, the office deliberates and opens the public notice: from then on it is on the village board."""
    funding = "/api/micro-funding"

    def auth(who: str) -> dict:
        return {"Authorization": f"Bearer {token(api, who)}", "Idempotency-Key": f"e2e-{uuid.uuid4()}"}

    def act(path: str, who: str, body: dict) -> dict:
        answer = api.post(funding + path, json=body, headers=auth(who))
        assert answer.status_code in (200, 201), f"{path}: {answer.text}"
        return answer.json()

    deputy = place["deputies"][0]["code"]
    filed = {"kind": "request", "category": "water", "description": "全组的水管太旧了", "grid_id": place["group"]["id"]}
    if case is None:
        case = api.post("/api/case-intake/cases", json=filed, headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"}).json()
    draft = {
        "pool_id": api.get(f"{funding}/fund-pools").json()["items"][0]["id"],
        "kind": "works",
        "title": f"{place['village']['name']}饮水管网改造",
        "description": "更换老化的自来水主管 800 米。",
        "beneficiaries": f"{place['group']['name']} 60 户",
        "beneficiary_count": 60,
        "grid_ids": [place["village"]["id"]],
        "case_ids": [case["id"]],
        "budget_lines": [{"item": "管材和施工", "amount": "48000.00"}],
        "milestones": [{"title": "管材进场", "due_on": (date.today() + timedelta(days=60)).isoformat()}],
    }
    deadline = time.monotonic() + 20
    while (answer := api.post(f"{funding}/projects", json=draft, headers=auth(deputy))).status_code == 422:
        assert time.monotonic() < deadline, answer.text  # the case reaches micro_funding through NATS, a moment later
        time.sleep(0.5)
    assert answer.status_code == 201, answer.text
    project = answer.json()
    act(f"/projects/{project['id']}/submission", deputy, {})
    act(f"/projects/{project['id']}/screening", "staff", {"decision": "pass", "note": "材料齐全"})
    act(f"/projects/{project['id']}/deliberation", "office", {"review": "群众急需", "votes_for": 9, "votes_against": 0})
    return act(f"/projects/{project['id']}/notice", "office", {"days": 7})


def test_use_my_location_picks_the_group_of_the_point_and_offline_keeps_the_point(new_page, api, shots, place):
    page = new_page(geolocation=place["geolocation"], permissions=["geolocation"])
    page.goto("/")
    wait_js(page, "() => navigator.serviceWorker.controller !== null", timeout=20)
    page.click("#start-file")
    page.locator("label.tile", has=page.locator("input[value=suggestion]")).click()
    page.locator("label.tile", has=page.locator("input[value=roads]")).click()
    page.click("#next")
    page.fill("#what", "路口需要一盏路灯")
    page.click("#next")
    page.click("#locate")
    status = page.locator(".locate-status")
    expect(status).to_contain_text(place["group"]["name"], timeout=15_000)
    wait_js(page, "(id) => document.querySelector('#group').value === id", place["group"]["id"])
    assert page.input_value("#village") == place["village"]["id"]
    assert page.input_value("#township") == place["township"]["id"]
    look(page, shots, "v-2-where-my-location")

    page.context.set_offline(True)  # no network: the point is kept, the server finds the group later
    page.goto("/file/2")
    page.click("#next")
    page.select_option("#township", index=0)  # start again from nothing chosen
    page.click("#locate")
    expect(status).to_contain_text("已记下您的位置")
    look(page, shots, "v-2-where-offline-point-kept")
    page.click("#next")
    expect(page.locator(".review")).to_contain_text("我所在的位置")
    description = f"路口需要一盏路灯。{uuid.uuid4().hex[:8]}"
    page.click("a[href='/file/2']:not(.btn)")
    page.fill("#what", description)
    page.click("#next")
    page.click("#next")
    page.click("#send")
    expect(page.locator("h1")).to_contain_text("等待发送", timeout=15_000)
    page.context.set_offline(False)
    expect(page.locator("#tracking-code")).to_have_text(TRACKING_CODE, timeout=30_000)
    found = office_cases_with(api, description)
    assert len(found) == 1 and found[0]["grid_id"] == place["group"]["id"]


def test_without_permission_for_the_location_the_villager_is_told_and_picks_by_hand(new_page):
    page = new_page()  # no geolocation permission: the browser refuses
    page.goto("/")
    page.click("#start-file")
    page.locator("label.tile", has=page.locator("input[value=opinion]")).click()
    page.locator("label.tile", has=page.locator("input[value=other]")).click()
    page.click("#next")
    page.fill("#what", "没有定位也能选地点")
    page.click("#next")
    page.click("#locate")
    expect(page.locator(".locate-status")).to_contain_text("没有拿到您的位置", timeout=15_000)
    wait_js(page, "() => document.querySelector('#township').options.length > 1")


def test_a_villager_confirms_and_rates_the_case_the_deputy_resolved(new_page, api, shots, place):
    page = new_page(geolocation=place["geolocation"], permissions=["geolocation"])
    description = f"井水发黄，不能喝。{uuid.uuid4().hex[:8]}"
    file_here(page, description)
    code = page.locator("#tracking-code").text_content()
    resolve_as_deputy(api, code, place["group"]["id"])

    page.goto("/cases")
    item = page.locator(".my-cases li", has_text=code)
    expect(item.locator(".badge")).to_have_text("已办好，等您确认")
    look(page, shots, "v-3-my-cases")
    item.locator(".code-link").click()
    expect(page.locator("#confirm-form")).to_be_visible()
    expect(page.locator(".resolution")).to_contain_text("水管已经换了新的")
    look(page, shots, "v-3-case-resolved-confirm")
    page.click("#confirm")
    expect(page.locator("#confirm-form .field-error")).to_contain_text("请选一个")
    page.locator("#confirm-form label.tile", has=page.locator("input[value=basically_satisfied]")).click()
    page.fill("#comment", "修得快，就是等了两天。")
    page.click("#confirm")
    expect(page.locator("#case-status")).to_have_text("已结束", timeout=15_000)
    expect(page.locator("#case-rating")).to_contain_text("基本满意")
    expect(page.locator("#confirm-form")).to_have_count(0)
    look(page, shots, "v-3-case-closed-rated")

    case = api.get(f"/api/case-intake/cases/track/{code}").json()
    assert case["status"] == "closed" and case["rating"] == "basically_satisfied"
    assert page.evaluate("self.ddgQueue.done().then((d) => d.map((x) => x.op))") == ["case.confirm"]


def test_a_signed_in_villager_sees_their_cases_reopens_one_and_books_a_reception_slot(new_page, api, shots, place):
    page = new_page(geolocation=place["geolocation"], permissions=["geolocation"])
    phone = new_phone()
    page.goto("/")
    sign_in(page, api, phone, shots, "v-4-")
    look(page, shots, "v-4-home-signed-in")
    description = f"自来水三天没来了。{uuid.uuid4().hex[:8]}"
    file_here(page, description)
    code = page.locator("#tracking-code").text_content()
    assert page.evaluate("self.ddgQueue.sent().then((s) => s[0].filerKey)") is None  # filed as the account

    # another phone, the same account: the case is there
    other = new_page()
    sign_in(other, api, phone)
    other.goto("/cases")
    expect(other.locator(".my-cases li", has_text=code)).to_be_visible()

    resolve_as_deputy(api, code, place["group"]["id"])
    page.goto(f"/track/{code}")
    page.locator("details.reopen summary").click()
    page.click("#reopen")
    expect(page.locator("#reopen-form .field-error")).to_contain_text("请写一写")
    page.fill("#reopen-reason", "还是没有水，只修了一半。")
    look(page, shots, "v-4-case-reopen")
    page.click("#reopen")
    expect(page.locator("#case-status")).to_have_text("重新办理", timeout=15_000)
    assert api.get(f"/api/case-intake/cases/track/{code}").json()["status"] == "reopened"

    session = schedule_session(api, place, capacity=1, days=4)
    page.goto("/book")
    expect(page.locator("#place-name")).to_contain_text(place["village"]["name"])
    slot = page.locator(f"[data-session-id='{session['id']}']")
    expect(slot).to_contain_text("还有 1 个名额")
    look(page, shots, "v-5-book-sessions")
    slot.locator(".book-open").click()
    slot.locator("textarea").fill("村里的自来水问题")
    slot.locator("button[type=submit]").click()
    expect(page.locator("#booking-result")).to_contain_text("预约成功")
    expect(page.locator(".my-bookings")).to_contain_text("已预约")
    look(page, shots, "v-5-book-confirmed")

    other_phone = new_page()
    sign_in(other_phone, api, new_phone())
    other_phone.goto("/book")
    choose_village(other_phone, place)
    other_slot = other_phone.locator(f"[data-session-id='{session['id']}']")
    expect(other_slot).to_contain_text("名额已满")
    other_slot.locator(".book-open").click()
    other_slot.locator("textarea").fill("想问问修路的事")
    other_slot.locator("button[type=submit]").click()
    expect(other_phone.locator("#booking-result")).to_contain_text("候补第 1 位")
    look(other_phone, shots, "v-5-book-waitlisted")

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(".my-bookings button", has_text="取消预约").click()
    expect(page.locator(".notice.ok")).to_contain_text("预约已取消")
    other_phone.goto("/book")
    expect(other_phone.locator(".my-bookings")).to_contain_text("已预约")  # moved up from the waiting list


def test_the_village_board_and_my_grid_deputies(new_page, api, shots, place):
    project = publish_micro_project(api, place)
    page = new_page()
    page.goto("/board")
    choose_village(page, place)
    expect(page.locator("#board-figures")).to_be_visible()
    stats = api.get(f"/api/case-intake/board/{place['village']['id']}/stats").json()
    expect(page.locator("#board-figures .figure").first).to_contain_text(str(stats["cases"]))
    public = api.get(f"/api/case-intake/board/{place['village']['id']}/cases").json()
    assert public["total"] > 0  # the cases filed by the tests above
    expect(page.locator("#board-cases li")).to_have_count(min(public["total"], 20))
    shown = page.locator("#board-projects li", has_text=project["title"])
    expect(shown).to_contain_text("公示中")
    expect(shown).to_contain_text("预算 ¥48,000")
    look(page, shots, "v-6-village-board")

    page.goto("/deputies")  # the village is remembered; the group is chosen here
    page.select_option("#group", place["group"]["id"])
    names = [deputy["name"] for deputy in place["deputies"]]
    expect(page.locator("#deputy-list .deputy-name")).to_have_text(names)
    assert not any(deputy.get("contact_phone") for deputy in place["deputies"])  # the public profile only
    look(page, shots, "v-7-my-deputies")


def test_every_villager_screen_in_english_at_360_px(new_page, api, shots, place):
    page = new_page(geolocation=place["geolocation"], permissions=["geolocation"])
    page.goto("/")
    page.click("#lang")
    expect(page.locator("h1")).to_have_text("Tell your deputy")
    look(page, shots, "en-v-1-home")
    page.goto("/signin")
    expect(page.locator("h1")).to_have_text("Sign in by phone")
    look(page, shots, "en-v-2-signin")
    page.goto("/")
    page.click("#start-file")
    page.locator("label.tile", has=page.locator("input[value=request]")).click()
    page.locator("label.tile", has=page.locator("input[value=water]")).click()
    page.click("#next")
    page.fill("#what", f"The well water is yellow. {uuid.uuid4().hex[:8]}")
    look(page, shots, "en-v-3-file-2-photos")
    page.click("#next")
    page.click("#locate")
    expect(page.locator(".locate-status")).to_contain_text("From your location", timeout=15_000)
    look(page, shots, "en-v-4-file-3-my-location")
    page.click("#next")
    page.click("#send")
    expect(page.locator("#tracking-code")).to_have_text(TRACKING_CODE, timeout=15_000)
    code = page.locator("#tracking-code").text_content()
    resolve_as_deputy(api, code, place["group"]["id"])
    page.goto("/cases")
    expect(page.locator(".my-cases li", has_text=code)).to_contain_text("Done, please confirm")
    look(page, shots, "en-v-5-my-cases")
    page.goto(f"/track/{code}")
    expect(page.locator("#confirm-form")).to_be_visible()
    page.locator("details.reopen summary").click()
    look(page, shots, "en-v-6-case-confirm-or-reopen")
    schedule_session(api, place, capacity=5, days=11)
    page.goto("/book")
    expect(page.locator(".station").first).to_be_visible()
    look(page, shots, "en-v-7-book")
    page.goto("/board")
    expect(page.locator("#board-figures")).to_be_visible()
    look(page, shots, "en-v-8-village-board")
    page.goto("/deputies")
    expect(page.locator("#deputy-list li")).to_have_count(len(place["deputies"]))
    look(page, shots, "en-v-9-my-deputies")
