"""The whole system (NATS, five services, gateway) once per module, and Debian's Chromium driven by Playwright."""

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from devstack.supervisor import Stack, free_port
from tests.support import NatsServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path("/tmp/pwa-shots")
PHONE = {"width": 360, "height": 740}
E2E_LIMITS = {
    "FILING_PER_MINUTE": "600",
    "PHOTOS_PER_MINUTE": "1800",
    "SIGNIN_PER_MINUTE": "600",
    "OTP_PER_MINUTE": "60",
    "OTP_PER_HOUR": "600",
}
"""The gateway's per-address limits, raised: the tests' many phones all share one address."""


def _wait_until_routing_is_ready(api: httpx.Client, timeout: float = 45.0) -> None:
    """case-intake learns grids and assignments from events after start-up: file one case until it is routed."""
    groups = api.get("/api/grid/grids", params={"level": "group", "limit": 200, "offset": 200}).json()["items"]
    body = {"kind": "opinion", "category": "other", "description": "e2e: routing warm-up", "grid_id": groups[-1]["id"]}
    deadline = time.monotonic() + timeout
    while True:
        answer = api.post("/api/case-intake/cases", json=body, headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"})
        if answer.status_code == 201 and answer.json()["status"] == "assigned":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"case-intake does not route cases yet: {answer.status_code} {answer.text[:300]}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    nats = NatsServer(tmp_path_factory.mktemp("e2e-jetstream"))
    nats.start()
    system = Stack(
        var_dir=tmp_path_factory.mktemp("e2e-var"), gateway_port=free_port(), nats_url=nats.url, bus_users=nats.users
    )
    try:
        with pytest.MonkeyPatch.context() as patch:  # every browser files and signs in from 127.0.0.1
            for name, value in E2E_LIMITS.items():
                patch.setenv(name, value)
            system.start()
        with httpx.Client(base_url=system.gateway_url, timeout=10) as api:
            _wait_until_routing_is_ready(api)
        yield system
    finally:
        system.stop()
        nats.stop()


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    """After the stack: Playwright's sync API keeps an event loop running, and Stack.start() needs asyncio.run."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Browser, stack: Stack) -> Iterator[Callable[..., Page]]:
    """A fresh phone each call: 360x740, its own storage and service worker; the phone's clock is in London,
    so that the app has to show China time by itself."""
    contexts: list[BrowserContext] = []

    def make(**options: object) -> Page:
        context = browser.new_context(
            viewport=PHONE, base_url=stack.gateway_url, locale="zh-CN", timezone_id="Europe/London", **options
        )
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", keep_csp_violations)
        return page

    errors: list[str] = []

    def keep_csp_violations(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            errors.append(message.text)

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors or CSP violations in the page: {errors}"


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
