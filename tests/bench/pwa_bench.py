"""(c) The villager path over the wire: first-load and repeat-load bytes, and the time to a usable first screen
on an emulated slow 3G link (400 ms round trip, 400 kbit/s down), in Debian's Chromium.
"""

import json
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from devstack.supervisor import Stack, free_port

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1024 / 8, "uploadThroughput": 400 * 1024 / 8}


def _load(page, cdp, url: str) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Bytes received over the wire and seconds until the first screen's buttons are there."""
    received = {"bytes": 0}
    cdp.on(
        "Network.loadingFinished",
        lambda event: received.__setitem__("bytes", received["bytes"] + int(event.get("encodedDataLength", 0))),
    )
    started = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("button", timeout=60_000)
    ready = time.perf_counter() - started
    page.wait_for_load_state("networkidle", timeout=60_000)
    return received["bytes"], ready


def measure(url: str) -> dict[str, float]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 360, "height": 740})
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        first_bytes, first_seconds = _load(page, cdp, url)
        page.wait_for_timeout(1000)  # the service worker finishes installing the shell
        repeat_bytes, repeat_seconds = _load(page, cdp, url)
        browser.close()
    return {
        "first_load_bytes": first_bytes,
        "first_load_slow3g_s": round(first_seconds, 2),
        "repeat_load_bytes": repeat_bytes,
        "repeat_load_slow3g_s": round(repeat_seconds, 2),
    }


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        stack = Stack(var_dir=Path(folder), gateway_port=free_port())
        try:
            stack.start()
            return measure(stack.gateway_url + "/")
        finally:
            stack.stop()


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
