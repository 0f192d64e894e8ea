"""A villager files with a photo from a 360 px phone: scaled on the phone, kept offline in IndexedDB, uploaded
under its own key, then the case with the photo's id — exactly one case with its photo, however the network
behaves."""

import io
import random
import re
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, Route, expect

from tests.e2e.test_pwa import TRACKING_CODE, look, office_cases_with, pick, wait_js

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

MAX_SIDE = 1280
MAX_BYTES = 300 * 1024


@pytest.fixture(scope="module")
def camera_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4000 x 3000 photo of about 2 MB, busy enough that JPEG cannot make it small without scaling."""
    rng = random.Random(8)
    image = Image.new("RGB", (4000, 3000))
    draw = ImageDraw.Draw(image)
    for y in range(0, 3000, 6):
        draw.rectangle([0, y, 4000, y + 6], fill=(60 + y // 20, 110, 210 - y // 20))
    for _ in range(6000):
        x, y, r = rng.randrange(4000), rng.randrange(3000), rng.randrange(4, 80)
        draw.ellipse([x, y, x + r, y + r], fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    path = tmp_path_factory.mktemp("camera") / "IMG_0001.jpg"
    image.save(path, "JPEG", quality=92)
    return path


def blobs_on_phone(page: Page) -> int:
    return page.evaluate(
        """() => new Promise((resolve) => {
          const open = indexedDB.open('ddg-pwa');
          open.onsuccess = () => {
            const count = open.result.transaction('blobs').objectStore('blobs').count();
            count.onsuccess = () => resolve(count.result);
          };
        })"""
    )


def file_with_photo(page: Page, photo: Path, description: str, shots: Path | None = None, prefix: str = "") -> str:
    """Kind, what happened with one photo, the place from the pickers, review, send; returns the group's id."""
    page.click("#start-file")
    page.locator("label.tile", has=page.locator("input[value=request]")).click()
    page.locator("label.tile", has=page.locator("input[value=roads]")).click()
    page.click("#next")
    expect(page.locator("h1")).to_have_text(re.compile("发生了什么|What happened"))
    page.fill("#what", description)
    page.set_input_files("#photo-gallery", str(photo))
    expect(page.locator("#photo-list img")).to_have_count(1, timeout=30_000)
    wait_js(page, "() => document.querySelector('#photo-list img').naturalWidth > 0")
    if shots:
        look(page, shots, f"{prefix}file-2-with-photo")
    page.click("#next")
    pick(page, "#township", 2)
    pick(page, "#village", 1)
    group_id = pick(page, "#group", 2)
    page.click("#next")
    expect(page.locator(".review .photos img")).to_have_count(1)
    if shots:
        look(page, shots, f"{prefix}file-4-review-with-photo")
    page.click("#send")
    return group_id


def photo_of(api: httpx.Client, url: str, **kwargs: object) -> Image.Image:
    answer = api.get(url, **kwargs)  # type: ignore[arg-type]
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg", answer.text[:200]
    return Image.open(io.BytesIO(answer.content))


def test_a_photo_filed_offline_is_kept_on_the_phone_and_arrives_once_with_its_case(new_page, api, shots, camera_photo):
    page = new_page()
    page.goto("/")
    wait_js(page, "() => navigator.serviceWorker.controller !== null", timeout=20)
    wait_js(page, "() => localStorage.getItem('ddg.atlas.v1') !== null", timeout=20)
    page.context.set_offline(True)
    description = f"桥头的路塌了一块，拍了照片。{uuid.uuid4().hex[:8]}"

    group_id = file_with_photo(page, camera_photo, description, shots, "v-1-")

    expect(page.locator("h1")).to_contain_text("等待发送", timeout=15_000)
    assert blobs_on_phone(page) == 1  # the scaled photo waits in IndexedDB with the filing
    page.goto("/")
    expect(page.locator(".queue.waiting")).to_contain_text("带 1 张照片")
    look(page, shots, "v-1-offline-waiting-with-photo")

    page.context.set_offline(False)  # `online`: the queue uploads the photo, then files the case
    expect(page.locator(".queue.sent .code-link")).to_have_text(TRACKING_CODE, timeout=30_000)
    code = page.locator(".queue.sent .code-link").first.text_content()
    page.evaluate("self.ddgQueue.replay({force: true})")  # nothing is left to send twice
    assert blobs_on_phone(page) == 0  # sent: the phone's copy is gone

    found = office_cases_with(api, description)
    assert len(found) == 1 and found[0]["grid_id"] == group_id
    photos = found[0]["photos"]
    assert len(photos) == 1
    assert max(photos[0]["width"], photos[0]["height"]) <= MAX_SIDE  # scaled on the phone
    filer_key = page.evaluate("self.ddgQueue.sent().then((s) => s[0].filerKey)")
    thumbnail = photo_of(api, photos[0]["thumbnail_url"], headers={"X-Filer-Key": filer_key})
    assert thumbnail.size[0] > 0 and thumbnail.format == "JPEG"

    page.goto(f"/track/{code}")  # the villager sees the photo with the case
    expect(page.locator(".case-photos img")).to_have_count(1)
    wait_js(page, "() => document.querySelector('.case-photos img').naturalWidth > 0")
    look(page, shots, "v-1-track-with-photo")
    page.click(".photo-open")
    wait_js(page, "() => { const img = document.querySelector('.photo-big img'); return img && img.naturalWidth > 0 }")


def test_the_network_drops_during_the_upload_and_one_case_with_one_set_of_photos_results(new_page, api, camera_photo):
    page = new_page(service_workers="block")  # so that Playwright sees, and can cut, the page's own requests
    photo_calls: list[dict] = []
    case_keys: list[str | None] = []

    def photo_answer_lost_once(route: Route) -> None:
        request = route.request
        call = {"key": request.headers.get("idempotency-key"), "bytes": len(request.post_data_buffer or b"")}
        photo_calls.append(call)
        answer = route.fetch()  # the server stores the photo every time...
        call["replayed"] = answer.headers.get("idempotent-replayed") == "true"
        call["id"] = answer.json()["id"]
        if len(photo_calls) == 1:
            route.abort("connectionreset")  # ...but the first answer never reaches the phone
        else:
            route.fulfill(response=answer)

    def case_refused_once_on_the_way(route: Route) -> None:
        case_keys.append(route.request.headers.get("idempotency-key"))
        if len(case_keys) == 1:
            route.abort("connectionreset")  # the signal goes right after the photo: the case never arrives
        else:
            route.continue_()

    page.route("**/api/case-intake/photos", photo_answer_lost_once)
    page.route("**/api/case-intake/cases", case_refused_once_on_the_way)
    page.goto("/")
    description = f"水渠堵了，水漫到路上。{uuid.uuid4().hex[:8]}"
    file_with_photo(page, camera_photo, description)
    expect(page.locator("h1")).to_contain_text("等待发送", timeout=15_000)
    assert len(photo_calls) == 1 and not case_keys

    page.click("#retry")  # the photo again (same key: the same photo), then the case, cut off
    wait_js(page, "() => self.ddgQueue.commands().then((c) => c.length === 1 && c[0].attempts >= 2)")
    page.click("#retry")
    expect(page.locator("#tracking-code")).to_have_text(TRACKING_CODE, timeout=20_000)

    first = photo_calls[0]
    assert len(photo_calls) >= 2 and all(call["key"] == first["key"] for call in photo_calls)
    assert all(call["replayed"] and call["id"] == first["id"] for call in photo_calls[1:])
    assert all(call["bytes"] <= MAX_BYTES + 1024 for call in photo_calls)  # ≤ 300 KB of JPEG and the framing
    assert len(case_keys) >= 2 and set(case_keys) == {case_keys[0]} and case_keys[0] != first["key"]
    found = office_cases_with(api, description)
    assert len(found) == 1
    assert [photo["id"] for photo in found[0]["photos"]] == [photo_calls[0]["id"]]
    code = found[0]["tracking_code"]
    picture = photo_of(api, found[0]["photos"][0]["url"], params={"tracking_code": code})
    assert max(picture.size) <= MAX_SIDE
