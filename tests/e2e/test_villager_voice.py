"""A villager who does not type files with a voice note from a 360 px phone: Chromium's fake microphone (a
real MediaRecorder recording its test tone as Opus in WebM), kept offline in IndexedDB with the filing, uploaded
under its own key once the phone is back online — exactly one case with one recording — and the deputy plays it
on the case page. Without a recorder, or with the microphone refused, the screen says so and typing still works."""

import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from devstack.supervisor import Stack
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_pwa import TRACKING_CODE, deputy_code_of, look, office_cases_with, pick, wait_js
from tests.e2e.test_villager_photos import blobs_on_phone
from tests.e2e.test_work_screens import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

VOICE_ONLY = "（只有语音留言，请听录音）"  # pwa/i18n/zh-CN.js voice.onlyVoice: the words of a voice-only filing
FAKE_MICROPHONE = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    """This module's Chromium has a microphone: a fake device (a beeping tone) that the page may use unasked."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *FAKE_MICROPHONE], timeout=30_000
        )
        yield chromium
        chromium.close()


def to_step_two(page: Page) -> None:
    page.click("#start-file")
    page.locator("label.tile", has=page.locator("input[value=request]")).click()
    page.locator("label.tile", has=page.locator("input[value=water]")).click()
    page.click("#next")
    expect(page.locator("h1")).to_have_text(re.compile("发生了什么|What happened"))


def hold_to_talk(page: Page, seconds: float) -> None:
    """Press the big button with a finger (a pointer), speak, let go."""
    button = page.locator("#voice-hold")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    expect(page.locator("#voice-time")).to_contain_text("已录", timeout=10_000)
    page.wait_for_timeout(int(seconds * 1000))
    page.mouse.up()


def recording_of(api: httpx.Client, url: str, **kwargs: object) -> tuple[str, str, float]:
    answer = api.get(url, **kwargs)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text[:200]
    with av.open(io.BytesIO(answer.content)) as opened:
        (stream,) = opened.streams
        return answer.headers["content-type"], stream.codec_context.name, (opened.duration or 0) / 1_000_000


def test_a_voice_note_recorded_offline_arrives_once_with_its_case_and_the_deputy_plays_it(new_page, api, shots: Path):
    page = new_page()
    page.goto("/")
    wait_js(page, "() => navigator.serviceWorker.controller !== null", timeout=20)
    wait_js(page, "() => localStorage.getItem('ddg.atlas.v1') !== null", timeout=20)
    assert not page.evaluate("[...document.scripts].some((s) => /voice/.test(s.src))")
    loaded = page.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
    assert not [name for name in loaded if name.endswith("/villager/voice.js")]  # not in the first load
    page.context.set_offline(True)  # from here on, the phone has no signal: recording and filing work offline

    to_step_two(page)
    expect(page.locator("#mic-hint")).to_contain_text("键盘上的 🎤 话筒按钮")
    expect(page.locator("#voice-hold")).to_have_text(re.compile("按住说话"))

    # tap to start and tap to stop, by keyboard only; then delete it
    page.focus("#voice-toggle")
    page.keyboard.press("Enter")
    expect(page.locator("#voice-toggle")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(1600)
    page.keyboard.press("Enter")
    expect(page.locator("#voice-player")).to_be_visible(timeout=10_000)
    page.click("#voice-delete")
    expect(page.locator("#voice-status")).to_have_text("语音已删除。")
    expect(page.locator("#voice-player")).to_have_count(0)
    assert blobs_on_phone(page) == 0

    # press and hold to talk, for about three seconds: the seconds show while it records
    button = page.locator("#voice-hold")
    box = button.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    expect(page.locator("#voice-time")).to_contain_text("已录 0:02", timeout=10_000)
    expect(page.locator("#voice-hold")).to_contain_text("松开结束")
    look(page, shots, "voice-1-recording")
    page.wait_for_timeout(1200)
    page.mouse.up()
    expect(page.locator("#voice-player")).to_be_visible(timeout=10_000)
    expect(page.locator("#voice-status")).to_contain_text("录好了")
    wait_js(page, "() => document.querySelector('#voice-player').src.startsWith('blob:')")
    seconds = page.evaluate("JSON.parse(localStorage.getItem('ddg.draft')).voice.seconds")
    assert 2.5 <= seconds <= 6, seconds
    look(page, shots, "voice-2-recorded")
    assert blobs_on_phone(page) == 1

    page.click("#next")  # no words typed: the voice note says what happened
    pick(page, "#township", 2)
    pick(page, "#village", 1)
    group_id = pick(page, "#group", 1)
    page.click("#next")
    expect(page.locator(".review")).to_contain_text("没有写字，只有语音")
    expect(page.locator(".review #voice-player")).to_have_count(1)
    look(page, shots, "voice-3-review")
    page.click("#send")
    expect(page.locator("h1")).to_contain_text("等待发送", timeout=15_000)
    assert blobs_on_phone(page) == 1  # the recording waits in IndexedDB with the filing
    page.goto("/")
    expect(page.locator(".queue.waiting")).to_contain_text("带一段语音")

    page.context.set_offline(False)  # `online`: the queue uploads the recording, then files the case
    expect(page.locator(".queue.sent .code-link")).to_have_text(TRACKING_CODE, timeout=30_000)
    page.evaluate("self.ddgQueue.replay({force: true})")  # nothing is left to send twice
    assert blobs_on_phone(page) == 0

    found = office_cases_with(api, VOICE_ONLY)
    assert len(found) == 1 and found[0]["grid_id"] == group_id
    recording = found[0]["recording"]
    assert recording is not None and recording["content_type"] == "audio/webm"
    assert 2_000 <= recording["duration_ms"] <= 6_000
    filer_key = page.evaluate("self.ddgQueue.sent().then((s) => s[0].filerKey)")
    kind, codec, length = recording_of(api, recording["url"], headers={"X-Filer-Key": filer_key})
    assert (kind, codec) == ("audio/webm", "opus") and 2.0 <= length <= 6.0  # the stored copy says its length

    deputy = new_page()
    case_id = found[0]["id"]
    sign_in(deputy, f"/deputy/case/{case_id}", deputy_code_of(api, group_id), f"案件 {found[0]['tracking_code']}")
    expect(deputy.locator("#case-voice")).to_have_count(1)
    expect(deputy.locator(".case-voice")).to_contain_text("群众的语音留言")
    wait_js(deputy, "() => document.querySelector('#case-voice').src.startsWith('blob:')", timeout=15)
    wait_js(deputy, "() => document.querySelector('#case-voice').duration > 2", timeout=15)
    look(deputy, shots, "voice-4-deputy-case")


def test_the_network_drops_during_the_upload_and_one_recording_results(new_page, api):
    page = new_page(service_workers="block")  # so that Playwright sees, and can cut, the page's own requests
    calls: list[dict] = []

    def answer_lost_once(route: Route) -> None:
        call = {"key": route.request.headers.get("idempotency-key")}
        calls.append(call)
        answer = route.fetch()  # the server stores it every time...
        call["id"] = answer.json()["id"]
        if len(calls) == 1:
            route.abort("connectionreset")  # ...but the first answer never reaches the phone
        else:
            route.fulfill(response=answer)

    page.route("**/api/case-intake/recordings", answer_lost_once)
    page.goto("/")
    to_step_two(page)
    words = f"井水有怪味。{uuid.uuid4().hex[:8]}"
    page.fill("#what", words)
    hold_to_talk(page, 1.5)
    expect(page.locator("#voice-player")).to_be_visible(timeout=10_000)
    page.click("#next")
    pick(page, "#township", 1)
    pick(page, "#village", 1)
    pick(page, "#group", 1)
    page.click("#next")
    page.click("#send")
    expect(page.locator("h1")).to_contain_text("等待发送", timeout=15_000)
    page.click("#retry")
    expect(page.locator("#tracking-code")).to_have_text(TRACKING_CODE, timeout=20_000)

    assert len(calls) == 2 and calls[0]["key"] == calls[1]["key"] and calls[0]["id"] == calls[1]["id"]
    found = office_cases_with(api, words)
    assert len(found) == 1 and found[0]["recording"]["id"] == calls[0]["id"]


def test_without_a_recorder_or_a_microphone_the_phone_says_so_and_typing_still_works(new_page, shots: Path):
    page = new_page()
    page.add_init_script("delete window.MediaRecorder")  # an old browser that cannot record
    page.goto("/")
    to_step_two(page)
    expect(page.locator("#voice-unsupported")).to_contain_text("不能在这里录音")
    expect(page.locator("#voice-hold")).to_have_count(0)
    look(page, shots, "voice-5-unsupported")
    page.fill("#what", "路灯不亮了")
    page.click("#next")
    expect(page.locator("h1")).not_to_have_text(re.compile("发生了什么"))

    refused = new_page()
    refused.add_init_script(  # the villager said no when asked for the microphone
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'))"
    )
    refused.goto("/")
    to_step_two(refused)
    refused.click("#voice-toggle")
    expect(refused.locator("#voice-status")).to_contain_text("没有得到话筒权限")
    expect(refused.locator("#what")).to_be_editable()
