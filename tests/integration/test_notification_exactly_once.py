"""Exactly once under a crash: the notification service is killed with SIGKILL while it sends 200 push
messages (100 urgent cases, two deputies with a device each), started again, and each device ends up with each
message once: every message arrives, a message is sent again only if it was in flight when the process died
(in doubt), and then with the same Topic and message id (the push service replaces a message it still holds,
the service worker shows an id once). Redelivered events decide nothing new."""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import nats
from sqlalchemy import text

from devstack.supervisor import free_port, wait_for_port
from shared.auth import Role
from shared.config import PROJECT_ROOT, SERVICE_PACKAGES
from shared.db import create_engine
from shared.messaging.catalogue import envelope
from shared.migrations import upgrade
from tests.integration.push_receiver import Browser, PushReceiver
from tests.support import case_submitted, eventually

CASES = 100
CONCURRENCY = 4


def _spawn(port: int, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "services.notification.app:create_app", "--factory"]
    return subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=environment,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _statuses(settings) -> Counter:  # type: ignore[no-untyped-def]
    engine = create_engine(settings)
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT status, count(*) FROM deliveries GROUP BY status"))).all()
    await engine.dispose()
    return Counter({status: count for status, count in rows})


async def test_killed_mid_send_each_device_gets_each_message_once(nats_server, databases, keys, tmp_path):
    settings = databases.settings("notification", nats_server.url, keys.public)
    await asyncio.to_thread(upgrade, SERVICE_PACKAGES["notification"], settings)
    port = free_port()
    environment = {
        **os.environ,
        "SERVICE_NAME": "notification",
        "DATABASE_URL": settings.database_url,
        "NATS_URL": nats_server.url,
        "TOKEN_PUBLIC_KEY_FILE": str(keys.public),
        "WEBPUSH_ALLOWED_HOSTS": "127.0.0.1",
        "VAPID_PRIVATE_KEY_FILE": str(tmp_path / "vapid.pem"),
        "NOTIFY_CONCURRENCY": str(CONCURRENCY),
        "NOTIFY_SEND_TIMEOUT_SECONDS": "2",
        "NOTIFY_CLAIM_SECONDS": "3",
        "NOTIFY_POLL_SECONDS": "0.2",
    }
    if settings.database_schema:
        environment["DATABASE_SCHEMA"] = settings.database_schema
    deputies = [str(uuid.uuid4()), str(uuid.uuid4())]
    async with PushReceiver() as receiver, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        receiver.delay = 0.03  # each answer takes a moment: the kill finds sends in flight
        process = _spawn(port, environment)
        try:
            await asyncio.to_thread(wait_for_port, port)
            browsers = {}
            for index, deputy in enumerate(deputies):
                browsers[f"device-{index}"] = browser = Browser(receiver.endpoint(f"device-{index}"))
                answer = await client.post(
                    "/subscriptions",
                    json={"subscription": browser.subscription()},
                    headers=keys.headers(Role.deputy, subject=f"account-{index}", deputy_id=deputy),
                )
                assert answer.status_code == 201, answer.text

            at = datetime.now(UTC) - timedelta(minutes=1)
            codes = [f"SS-2612-{number:05d}" for number in range(1, CASES + 1)]
            connection = await nats.connect(nats_server.url)
            stream = connection.jetstream()
            for code in codes:  # urgent: no quiet hours, whatever the time the test runs
                event = envelope(
                    "/case-intake",
                    case_submitted(str(uuid.uuid4()), deputy_ids=deputies, at=at, tracking_code=code, urgent=True),
                )
                await stream.publish(event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})
            await connection.close()

            await eventually(lambda: _count_at_least(receiver, 50), timeout=30, interval=0.005)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        before = await _statuses(settings)
        in_doubt = before["sending"]
        assert sum(before.values()) > 0 and before["sent"] < 2 * CASES, before  # killed mid-way

        process = _spawn(port, environment)
        try:
            await asyncio.to_thread(wait_for_port, port)

            async def all_sent() -> bool:
                return (await _statuses(settings))["sent"] == 2 * CASES

            await eventually(all_sent, timeout=60, interval=0.2)
            await asyncio.sleep(1)  # anything still to come would come now
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)

    assert sum((await _statuses(settings)).values()) == 2 * CASES  # redelivered events decided nothing new
    for device, browser in browsers.items():
        arrived = receiver.for_device(device)
        messages = [browser.decrypt(item.body) for item in arrived]
        assert sorted({message["tracking_code"] for message in messages}) == codes  # every case, to every device
        assert all(
            item.headers["Topic"] == message["id"].replace("-", "")
            for item, message in zip(arrived, messages, strict=True)
        )
        ids = Counter(message["id"] for message in messages)
        assert len(ids) == CASES  # one message per case and device: each id is one (event, recipient, channel)
        resent = sum(count - 1 for count in ids.values())
        assert resent <= in_doubt  # only what was in flight at the kill went again, under the same id
    total_resent = len(receiver.received) - 2 * CASES
    print("at the kill:", dict(before), "sent again:", total_resent)
    assert total_resent <= in_doubt
    assert total_resent <= CONCURRENCY  # and of those only the sends on the wire can have arrived twice


async def _count_at_least(receiver: PushReceiver, count: int) -> bool:
    return len(receiver.received) >= count
