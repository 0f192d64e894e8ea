"""Erasure on request, across the real processes of `make run`: a villager who filed (with a photo and the exact
point), booked, said "me too" and rated, and for whom staff filed a case and registered a walk-in under the same
number, is erased by the office; afterwards their phone number and name are in no service's database and in no
message of any stream, while the cases still count."""

import asyncio
import io
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import httpx
import nats
import pytest
from PIL import Image

from devstack.demo import city as demo_city
from devstack.natsauth import BusUsers
from devstack.supervisor import Stack, free_port
from shared.config import SERVICES

PHONE = "13766602468"
NAME = "龚秀芝"
DEPUTY = demo_city.deputies()[0]
GROUP_ID = demo_city.stable_id("grid:" + DEPUTY.home_grid_code)
PASSWORD = "demo-pass-2026"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(var_dir=tmp_path_factory.mktemp("var"), gateway_port=free_port())
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _official(client: httpx.Client, username: str) -> dict[str, str]:
    answer = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return _bearer(answer.json()["access_token"])


def _villager(client: httpx.Client) -> dict[str, str]:
    assert client.post("/api/auth/otp/request", json={"phone": PHONE}).status_code == 202
    code = client.get("/api/auth/dev/otp", params={"phone": PHONE}).json()["code"]
    answer = client.post("/api/auth/otp/verify", json={"phone": PHONE, "code": code})
    assert answer.status_code == 200, answer.text
    return _bearer(answer.json()["access_token"])


def _photo(client: httpx.Client, headers: dict[str, str]) -> str:
    image = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 90)).save(image, "JPEG")
    answer = client.post(
        "/api/case-intake/photos", files={"file": ("p.jpg", image.getvalue(), "image/jpeg")}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _file(client: httpx.Client, headers: dict[str, str], key: str, **extra) -> dict:
    body = {
        "kind": "request",
        "category": "roads",
        "grid_id": GROUP_ID,
        "description": f"村口的路灯坏了一个月，晚上很黑。联系我{PHONE}。",
        **extra,
    }
    answer = client.post("/api/case-intake/cases", json=body, headers={**headers, "Idempotency-Key": key})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _act(client: httpx.Client, case_id: str, action: str, headers: dict[str, str], body: dict | None = None) -> None:
    answer = client.post(f"/api/case-intake/cases/{case_id}/{action}", json=body or {}, headers=headers)
    assert answer.status_code == 200, answer.text


def _open_session(client: httpx.Client, staff: dict[str, str]) -> str:
    """A reception session in the village (outside the station, so its opening hours do not matter)."""
    stations = client.get("/api/station-scheduling/stations", params={"limit": 1}).json()["items"]
    starts = (datetime.now(UTC) + timedelta(days=2)).replace(hour=2, minute=0, second=0, microsecond=0)
    body = {
        "station_id": stations[0]["id"],
        "mode": "outside",
        "place": "村委会",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 10,
        "topic": "集中接待",
        "deputy_ids": [DEPUTY.id],
        "short_notice_reason": "村民集中反映路灯问题",
    }
    headers = {**staff, "Idempotency-Key": "erasure-session-1"}
    answer = client.post("/api/station-scheduling/sessions", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _database_text(path) -> str:
    connection = sqlite3.connect(path)
    try:
        parts = []
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        parts.append(value.decode("utf-8", "ignore"))
                    elif value is not None:
                        parts.append(str(value))
        return "\n".join(parts)
    finally:
        connection.close()


async def _stream_text(stack: Stack) -> str:
    """Every message still kept in every stream, read with the operator's user."""
    users = BusUsers(stack.var_dir / "keys")
    connection = await nats.connect(users.url(stack.nats_url))
    try:
        stream = connection.jetstream()
        parts = []
        for info in await stream.streams_info():
            state = info.state
            for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
                try:
                    message = await stream.get_msg(info.config.name, seq)
                except Exception:
                    continue  # deleted
                parts.append((message.data or b"").decode("utf-8", "ignore"))
        return "\n".join(parts)
    finally:
        await connection.close()


def test_an_erased_villager_is_nowhere_and_their_cases_still_count(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=20) as client:
        villager, staff, office = _villager(client), _official(client, "staff"), _official(client, "office")
        deputy = _official(client, DEPUTY.code)
        before = client.get("/api/case-intake/statistics", headers=office).json()
        group = client.get(f"/api/grid/grids/{GROUP_ID}").json()

        mine = _file(
            client,
            villager,
            "erasure-test-1",
            contact_phone=PHONE,
            contact_name=NAME,
            contact_preference="sms",
            location={"lat": group["centre_lat"], "lon": group["centre_lon"]},
            photo_ids=[_photo(client, villager)],
        )
        for_caller = _file(client, staff, "erasure-test-2", channel="phone", contact_phone=PHONE, contact_name=NAME)
        someone_elses = _file(client, {}, "erasure-test-3", description="桥边的护栏松了。")
        assert client.post(f"/api/case-intake/cases/{someone_elses['id']}/support", headers=villager).status_code in (
            200,
            201,
        )
        _act(client, mine["id"], "accept", deputy)
        _act(client, mine["id"], "resolve", deputy, {"resolution": "已修好路灯"})
        _act(client, mine["id"], "confirm", villager, {"rating": "satisfied", "comment": f"谢谢，{NAME}"})
        session_id = _open_session(client, staff)
        booked = client.post(
            f"/api/station-scheduling/sessions/{session_id}/bookings",
            json={"topic": "路灯的事"},
            headers={**villager, "Idempotency-Key": "erasure-booking-1"},
        )
        assert booked.status_code == 201, booked.text
        walk_in = client.post(
            f"/api/station-scheduling/sessions/{session_id}/walk-ins",
            json={"topic": "低保的事", "visitor_name": NAME, "visitor_phone": PHONE},
            headers={**staff, "Idempotency-Key": "erasure-walkin-1"},
        )
        assert walk_in.status_code == 201, walk_in.text

        erased = client.post(
            "/api/admin/erasures",
            json={"phone": PHONE, "reason": "本人到联络站书面申请"},
            headers={**office, "Idempotency-Key": "erasure-office-1"},
        )
        assert erased.status_code == 201, erased.text

        databases = {name: stack.var_dir / f"{name}.db" for name in [*SERVICES, "gateway"]}
        deadline = time.monotonic() + 60
        while True:
            left = {
                name: [word for word in (PHONE, NAME) if word in _database_text(path)]
                for name, path in databases.items()
            }
            left = {name: words for name, words in left.items() if words}
            if not left:
                break
            assert time.monotonic() < deadline, f"still kept after the erasure: {left}"
            time.sleep(0.5)
        streams = asyncio.run(_stream_text(stack))
        assert PHONE not in streams and NAME not in streams

        # the cases are still there, anonymous, and still counted
        after = client.get("/api/case-intake/statistics", headers=office).json()
        assert after["cases"] == before["cases"] + 3 and after["resolved"] == before["resolved"] + 1
        kept = client.get(f"/api/case-intake/cases/{for_caller['id']}", headers=office)
        assert kept.status_code == 200 and PHONE not in kept.text and NAME not in kept.text
