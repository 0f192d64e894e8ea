"""Voice notes: real WebM (streamed, no duration in its header, as Chrome records), Ogg and MP4 files made in the
test with FFmpeg's encoders; checked by their content whatever their name or type, at most 60 s and 2 MB,
uploaded once under a key however often it is sent, attached when filing, and heard only by the readers of the
case's photos."""

import io
import uuid
from contextlib import AsyncExitStack

import av
import pytest
from sqlalchemy import func, select

from services.case_intake.models import Recording
from tests.integration import audio
from tests.integration.city import build_town


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def upload(  # type: ignore[no-untyped-def]
    town, data: bytes, headers: dict[str, str] | None = None, name: str = "voice.webm", kind: str = "audio/webm"
):
    return await town.client.post("/recordings", files={"file": (name, data, kind)}, headers=headers or {})


async def recording_count(town) -> int:  # type: ignore[no-untyped-def]
    async with town.case_intake.runtime.maker() as session:
        return (await session.execute(select(func.count()).select_from(Recording))).scalar_one()


def heard(content: bytes) -> tuple[str, str, float]:
    """What FFmpeg reads in a served voice note: its container, codec and duration in seconds."""
    with av.open(io.BytesIO(content)) as opened:
        (stream,) = opened.streams
        return opened.format.name, stream.codec_context.name, (opened.duration or 0) / 1_000_000


@pytest.mark.parametrize(
    ("make", "content_type", "container", "codec"),
    [
        (audio.webm, "audio/webm", "matroska,webm", "opus"),
        (audio.ogg, "audio/ogg", "ogg", "opus"),
        (audio.mp4, "audio/mp4", "mov,mp4,m4a,3gp,3g2,mj2", "aac"),
    ],
    ids=["webm-opus", "ogg-opus", "mp4-aac"],
)
async def test_a_phone_recording_is_taken_by_its_content_and_served_back_without_its_tags(
    town, make, content_type, container, codec
):
    villager = town.villager()
    data = make(12)
    assert b"Wang's kitchen" in data
    answer = await upload(town, data, villager, name="anything.bin", kind="application/octet-stream")
    assert answer.status_code == 201, answer.text
    recording = answer.json()
    assert recording["content_type"] == content_type
    assert 11_900 <= recording["duration_ms"] <= 12_100
    assert recording["url"] == f"/api/case-intake/recordings/{recording['id']}"

    served = await town.client.get(f"/recordings/{recording['id']}", headers=villager)
    assert served.status_code == 200 and served.headers["content-type"] == content_type
    assert len(served.content) == recording["bytes"] and b"Wang's kitchen" not in served.content
    found, found_codec, seconds = heard(served.content)
    assert (found, found_codec) == (container, codec)
    assert 11.9 <= seconds <= 12.1  # the copy says its length, which Chrome's WebM header does not


async def test_a_file_that_is_not_a_voice_recording_is_refused_in_the_callers_language(town):
    villager = town.villager()
    text = "我家门口的路坏了，请代表来看看。".encode() * 20
    refused = await upload(town, text, villager, name="voice.webm", kind="audio/webm")
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "语音" in refused.json()["detail"]
    english = await upload(town, text, {**villager, "Accept-Language": "en"}, name="voice.webm")
    assert english.status_code == 422 and "voice recording" in english.json()["detail"]

    # a real container that is not a voice note: a video, or a WebM header on garbage
    video = io.BytesIO()
    with av.open(video, "w", format="mp4") as output:
        stream = output.add_stream("mpeg4", rate=10)
        stream.width, stream.height = 64, 48
        for index in range(10):
            frame = av.VideoFrame(64, 48, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.pts = index
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    for data in (video.getvalue(), b"\x1a\x45\xdf\xa3" + bytes(5000), audio.webm(2)[:120], b""):
        answer = await upload(town, data, villager, name="voice.m4a", kind="audio/mp4")
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    assert await recording_count(town) == 0


async def test_too_long_and_too_large_recordings_are_refused(town):
    villager = town.villager()
    near = await upload(town, audio.ogg(60.5), villager)  # a recorder stopped at 60 s hands over a little more
    assert near.status_code == 201, near.text
    long = await upload(town, audio.ogg(65), villager)
    assert long.status_code == 422 and long.headers["content-type"] == "application/problem+json"
    assert long.json()["type"].endswith("recording-too-long") and "60" in long.json()["detail"]
    large = await upload(town, b"OggS" + bytes(2 * 1024 * 1024), villager)
    assert large.status_code == 413 and large.headers["content-type"] == "application/problem+json"
    assert "2 MB" in large.json()["detail"]
    assert await recording_count(town) == 1


async def test_a_retried_upload_gives_one_recording_and_a_filing_takes_it_once(town):
    villager = town.villager()
    data = audio.webm(4)
    headers = {**villager, "Idempotency-Key": "pwa-voice-0001-voice"}
    first = await upload(town, data, headers)
    again = await upload(town, data, headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert (await upload(town, audio.webm(5), headers)).status_code == 422  # the same key, other bytes
    assert await recording_count(town) == 1

    body = {
        "kind": "request",
        "category": "water",
        "description": "（语音留言）",
        "grid_id": town.group_id,
        "recording_id": first.json()["id"],
    }
    filing = {**villager, "Idempotency-Key": "pwa-voice-0001"}
    case = await town.client.post("/cases", json=body, headers=filing)
    retried = await town.client.post("/cases", json=body, headers=filing)
    assert case.status_code == retried.status_code == 201
    assert retried.json()["id"] == case.json()["id"]
    assert case.json()["recording"]["id"] == first.json()["id"]
    assert case.json()["recording"]["content_type"] == "audio/webm"
    assert (await town.client.get("/cases", headers=town.office())).json()["total"] == 1
    # another filing cannot take the same recording
    taken = await town.client.post("/cases", json={**body}, headers=villager)
    assert taken.status_code == 409 and taken.headers["content-type"] == "application/problem+json"
    assert (await town.client.get("/cases", headers=town.office())).json()["total"] == 1


async def test_only_the_readers_of_the_cases_photos_hear_it_and_guessing_ids_finds_nothing(town):
    villager = town.villager("villager-1")
    mine = (await upload(town, audio.ogg(2), villager, name="v.ogg")).json()["id"]
    # before filing: its signed-in uploader only
    assert (await town.client.get(f"/recordings/{mine}", headers=villager)).status_code == 200
    for headers in ({}, town.villager("villager-2"), town.office(), town.deputy()):
        assert (await town.client.get(f"/recordings/{mine}", headers=headers)).status_code == 404
    theirs = (await upload(town, audio.ogg(2), town.villager("villager-2"))).json()["id"]
    body = {"kind": "request", "category": "water", "description": "水管坏了", "grid_id": town.group_id}
    stolen = await town.client.post("/cases", json={**body, "recording_id": theirs}, headers=villager)
    assert stolen.status_code == 422 and stolen.json().get("field") == "recording_id", stolen.text

    case = await town.file(villager, recording_id=mine)
    assert case["recording"]["url"] == f"/api/case-intake/recordings/{mine}"
    read = (await town.client.get(f"/cases/{case['id']}", headers=town.deputy())).json()
    assert read["recording"] == case["recording"]
    for headers in (villager, town.deputy(), town.office(), town.deputy(town.head_id)):
        assert (await town.client.get(f"/recordings/{mine}", headers=headers)).status_code == 200
    strangers = (
        {},
        town.villager("villager-9"),
        town.deputy(town.other_deputy_id),
        town.deputy(str(uuid.uuid4())),
        town.officer(),
    )
    for headers in strangers:
        assert (await town.client.get(f"/recordings/{mine}", headers=headers)).status_code == 404
        for guess in (str(uuid.uuid4()), theirs):
            assert (await town.client.get(f"/recordings/{guess}", headers=headers)).status_code == 404
    code = {"tracking_code": case["tracking_code"]}
    assert (await town.client.get(f"/recordings/{mine}", params=code)).status_code == 200
    other = await town.file(town.villager("villager-3"))
    borrowed = {"tracking_code": other["tracking_code"]}  # a code of another case opens nothing of this one
    assert (await town.client.get(f"/recordings/{mine}", params=borrowed)).status_code == 404
    assert (await town.client.get(f"/recordings/{mine}", params={"tracking_code": "SS-0000-00000"})).status_code == 404

    anonymous = (await upload(town, audio.mp4(2))).json()["id"]
    filed = await town.file(recording_id=anonymous)
    assert (await town.client.get(f"/recordings/{anonymous}")).status_code == 404
    key = {"X-Filer-Key": filed["filer_key"]}
    assert (await town.client.get(f"/recordings/{anonymous}", headers=key)).status_code == 200
    wrong = {"X-Filer-Key": other["filer_key"]} if other.get("filer_key") else {"X-Filer-Key": "x" * 32}
    assert (await town.client.get(f"/recordings/{anonymous}", headers=wrong)).status_code == 404


async def test_an_upload_no_filing_took_is_deleted_after_a_week_and_attached_ones_stay(town):
    from datetime import UTC, datetime, timedelta

    from services.case_intake.logic.deadlines import run_deadlines
    from shared.clock import MovableClock

    clock = town.case_intake.runtime.clock = MovableClock(datetime(2026, 11, 2, 2, tzinfo=UTC))
    villager = town.villager()
    kept, abandoned = [(await upload(town, audio.ogg(1 + n), villager)).json()["id"] for n in range(2)]
    await town.file(villager, recording_id=kept)
    clock.current += timedelta(days=8)
    await run_deadlines(town.case_intake.runtime)
    assert await recording_count(town) == 1
    assert (await town.client.get(f"/recordings/{abandoned}", headers=villager)).status_code == 404
    assert (await town.client.get(f"/recordings/{kept}", headers=villager)).status_code == 200
