"""The links printed documents carry, followed in a real Chromium at 360 px: a group's QR poster (扫码反映问题)
opens the filing with the group already chosen — no GPS, no pickers — and the place is remembered; a
micro-project's notice (公示) opens the project's public page. The links are decoded from the rendered PDFs."""

import uuid

import httpx
import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import expect

from tests.e2e.test_pwa import TRACKING_CODE, look
from tests.e2e.test_villager_screens import place, publish_micro_project  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def printed_links(api: httpx.Client, path: str) -> list[str]:
    """The links the QR codes of a document's first page carry, as a phone's camera reads them."""
    answer = api.get(path)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf", answer.text
    document = pypdfium2.PdfDocument(answer.content)
    try:
        return [found.text for found in zxingcpp.read_barcodes(document[0].render(scale=2.5).to_pil())]
    finally:
        document.close()


def test_a_posters_link_opens_the_filing_with_its_group_chosen(new_page, api, shots, stack, place):  # noqa: F811
    group, village, township = place["group"], place["village"], place["township"]
    links = printed_links(api, f"/api/station-scheduling/grids/{group['id']}/posters.pdf")
    assert links == [f"{stack.gateway_url}/file?grid={group['id']}"]

    page = new_page()  # no geolocation permission: the poster's link needs none
    page.goto(links[0])
    expect(page.locator("h1")).to_have_text("是什么事？")
    names = f"{township['name']} / {village['name']} / {group['name']}"
    expect(page.locator("#fixed-place-name")).to_have_text(names)
    look(page, shots, "poster-1-filing-with-the-group-chosen")
    page.locator("label.tile", has=page.locator("input[value=request]")).click()
    page.locator("label.tile", has=page.locator("input[value=roads]")).click()
    page.click("#next")
    description = f"组里的路坏了，下雨就积水。{uuid.uuid4().hex[:6]}"
    page.fill("#what", description)
    page.click("#next")
    expect(page.locator("h1")).to_have_text("请确认")  # straight to the review: the "where" step is skipped
    assert page.locator("#locate").count() == 0 and page.locator("select").count() == 0
    expect(page.locator(".review")).to_contain_text(names)
    look(page, shots, "poster-2-review")
    page.click("#send")
    code = page.locator("#tracking-code")
    expect(code).to_have_text(TRACKING_CODE, timeout=15_000)
    case = api.get(f"/api/case-intake/cases/track/{code.text_content()}").json()
    assert case["grid_id"] == group["id"]

    remembered = page.evaluate("() => JSON.parse(localStorage.getItem('ddg.place'))")
    assert (remembered["group"]["id"], remembered["village"]["id"]) == (group["id"], village["id"])
    page.goto("/deputies")  # the place is the phone's now: the group's deputies without choosing again
    expect(page.locator("#place-name")).to_have_text(names)

    page.goto(f"/file?grid={uuid.uuid4()}")  # a link that names no group: an ordinary filing
    expect(page.locator("h1")).to_have_text("是什么事？")
    assert page.locator("#fixed-place").count() == 0


def test_a_notices_link_opens_the_projects_public_page(new_page, api, shots, stack, place):  # noqa: F811
    project = publish_micro_project(api, place)
    links = printed_links(api, f"/api/micro-funding/public/projects/{project['id']}/notice.pdf")
    assert links == [f"{stack.gateway_url}/project/{project['id']}"]
    page = new_page()
    page.goto(links[0])
    expect(page.locator("h1")).to_have_text("民生微实事项目")
    expect(page.locator("#project")).to_contain_text(project["title"])
    expect(page.locator("#project")).to_contain_text("公示中")
    look(page, shots, "notice-project-page")
    page.click("#to-board")
    expect(page.locator("h1")).to_have_text("村务公开")
