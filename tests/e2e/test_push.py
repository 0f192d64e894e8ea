"""Web Push in the browser: a message delivered to the service worker through the DevTools protocol
(ServiceWorker.deliverPushMessage) is shown as a notification (a repeated message id once), and its click opens
the case's screen."""

import json
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.test_pwa import wait_js

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_a_pushed_message_shows_once_and_its_click_opens_the_case(new_page, stack, api):
    key = api.get("/api/notification/vapid-public-key")  # the service through the gateway, as the PWA asks it
    assert key.status_code == 200 and len(key.json()["application_server_key"]) == 87
    grid = api.get("/api/grid/grids", params={"level": "group", "limit": 1}).json()["items"][0]
    body = {"kind": "request", "category": "water", "description": "e2e: 推送", "grid_id": grid["id"]}
    case = api.post("/api/case-intake/cases", json=body, headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"}).json()
    code = case["tracking_code"]

    page = new_page()
    page.context.grant_permissions(["notifications"])
    page.goto("/")
    wait_js(page, "() => navigator.serviceWorker.controller !== null", timeout=15)
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations:
        assert time.monotonic() < deadline, "no service worker registration reported"
        page.wait_for_timeout(100)
    message = {
        "id": str(uuid.uuid4()),
        "step": "case_accepted",
        "tracking_code": code,
        "grid": grid["name"],
        "url": f"/track/{code}",
        "title": "您的诉求已受理",
        "body": f"您在{grid['name']}反映的诉求{code}已受理。",
    }
    registration_id = registrations[0]["registrationId"]

    def deliver(data: dict) -> None:
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": stack.gateway_url, "registrationId": registration_id, "data": json.dumps(data)},
        )

    shown = "async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => n.body)"
    deliver(message)
    wait_js(page, "async () => (await (await navigator.serviceWorker.ready).getNotifications()).length > 0", timeout=30)
    assert page.evaluate(shown) == [message["body"]]
    [worker] = page.context.service_workers
    worker.evaluate("async () => (await self.registration.getNotifications()).forEach((n) => n.close())")
    deliver(message)  # the same id again (sent again after the sender was killed mid-send): not shown again
    page.wait_for_timeout(700)
    assert page.evaluate(shown) == []
    message = {**message, "id": str(uuid.uuid4()), "step": "case_resolved", "body": f"您的诉求{code}已办结。"}
    deliver(message)
    wait_js(page, "async () => (await (await navigator.serviceWorker.ready).getNotifications()).length > 0", timeout=30)
    assert page.evaluate(shown) == [message["body"]]

    worker.evaluate(
        """async () => {
          const [notification] = await self.registration.getNotifications();
          self.dispatchEvent(new NotificationEvent('notificationclick', { notification }));
        }"""
    )
    expect(page).to_have_url(f"{stack.gateway_url}/track/{code}", timeout=10_000)
    expect(page.locator("body")).to_contain_text(code)
