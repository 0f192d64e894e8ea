"""Photos: uploaded anonymously or signed in, re-encoded without metadata, attached when filing (or by those
handling the case), and served only to those who may read the case."""

import io
from contextlib import AsyncExitStack

import pytest
from PIL import Image
from sqlalchemy import func, select

from services.case_intake.models import Photo
from tests.integration.city import build_town

GPS_IFD = 0x8825
ORIENTATION = 0x0112
ROTATED_90 = 6  # the camera was held upright: the stored pixels must be turned 90° to show the photo


def jpeg(width: int = 640, height: int = 480, *, metadata: bool = False, quality: int = 90) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    image.paste((200, 30, 30), (0, 0, width // 2, height))  # red on the left half: shows which way it turned
    out = io.BytesIO()
    if not metadata:
        image.save(out, "JPEG", quality=quality)
        return out.getvalue()
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATED_90
    exif[0x010F] = "Camera maker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (27.0, 55.0, 0.0), 3: "E", 4: (112.0, 31.0, 0.0)})
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(out, "JPEG", exif=exif.tobytes(), icc_profile=icc, comment=b"taken at Wang's house", quality=quality)
    return out.getvalue()


def png(width: int, height: int, mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (0, 120, 0, 0) if mode == "RGBA" else 0).save(out, "PNG")
    return out.getvalue()


async def upload(town, data: bytes, headers: dict[str, str] | None = None, name: str = "IMG_0001.jpg"):  # type: ignore[no-untyped-def]
    return await town.client.post("/photos", files={"file": (name, data, "image/jpeg")}, headers=headers or {})


async def photo_count(town) -> int:  # type: ignore[no-untyped-def]
    async with town.case_intake.runtime.maker() as session:
        return (await session.execute(select(func.count()).select_from(Photo))).scalar_one()


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def test_an_upload_is_turned_upright_shrunk_stripped_of_metadata_and_given_a_thumbnail(town):
    villager = town.villager()
    answer = await upload(town, jpeg(3000, 2000, metadata=True), villager)
    assert answer.status_code == 201, answer.text
    photo = answer.json()
    assert photo["content_type"] == "image/jpeg"
    assert (photo["width"], photo["height"]) == (1365, 2048)  # turned upright, the longest side 2048
    assert photo["url"] == f"/api/case-intake/photos/{photo['id']}"
    assert photo["thumbnail_url"] == f"/api/case-intake/photos/{photo['id']}/thumbnail"

    full = await town.client.get(f"/photos/{photo['id']}", headers=villager)
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
    assert "private" in full.headers["cache-control"] and "max-age" in full.headers["cache-control"]
    assert len(full.content) == photo["bytes"]
    image = Image.open(io.BytesIO(full.content))
    assert image.format == "JPEG" and image.size == (1365, 2048)
    assert not image.getexif() and not {"exif", "icc_profile", "comment"} & set(image.info)
    assert b"Wang" not in full.content and b"Camera maker" not in full.content
    assert image.convert("RGB").getpixel((600, 50))[0] > 150  # red is now on top: the photo was turned
    assert image.convert("RGB").getpixel((600, 2000))[1] > 200

    thumbnail = await town.client.get(f"/photos/{photo['id']}/thumbnail", headers=villager)
    small = Image.open(io.BytesIO(thumbnail.content))
    assert small.format == "JPEG" and max(small.size) == 320 and small.size == (213, 320)


async def test_png_and_webp_are_taken_and_a_transparent_png_is_flattened_on_white(town):
    answer = await upload(town, png(300, 200), name="drawing.png")
    assert answer.status_code == 201, answer.text
    assert (answer.json()["width"], answer.json()["height"]) == (300, 200)
    webp = io.BytesIO()
    Image.new("RGB", (100, 80), "blue").save(webp, "WEBP")
    assert (await upload(town, webp.getvalue(), name="x.webp")).status_code == 201
    assert await photo_count(town) == 2


async def test_photos_are_attached_when_filing_and_read_only_by_those_who_may_read_the_case(town):
    villager = town.villager("villager-1")
    mine = [(await upload(town, jpeg(), villager)).json()["id"] for _ in range(2)]
    anonymous = (await upload(town, jpeg())).json()["id"]
    assert (await town.client.get(f"/photos/{mine[0]}", headers=villager)).status_code == 200
    assert (await town.client.get(f"/photos/{mine[0]}", headers=town.villager("villager-2"))).status_code == 404
    assert (await town.client.get(f"/photos/{mine[0]}", headers=town.office())).status_code == 404  # unattached
    assert (await town.client.get(f"/photos/{anonymous}")).status_code == 404

    case = await town.file(villager, photo_ids=[*mine, anonymous])
    assert [photo["id"] for photo in case["photos"]] == [*mine, anonymous]
    assert case["photos"][0]["url"] == f"/api/case-intake/photos/{mine[0]}"
    read = (await town.client.get(f"/cases/{case['id']}", headers=villager)).json()
    assert read["photos"] == case["photos"]

    for headers in (villager, town.deputy(), town.office(), town.deputy(town.head_id)):
        assert (await town.client.get(f"/photos/{mine[1]}", headers=headers)).status_code == 200
        assert (await town.client.get(f"/photos/{mine[1]}/thumbnail", headers=headers)).status_code == 200
    for headers in ({}, town.villager("villager-2"), town.deputy(town.other_deputy_id), town.officer()):
        assert (await town.client.get(f"/photos/{mine[1]}", headers=headers)).status_code == 404
    code = {"tracking_code": case["tracking_code"]}
    assert (await town.client.get(f"/photos/{mine[1]}", params=code)).status_code == 200
    wrong = {"tracking_code": "SS-0000-00000"}
    assert (await town.client.get(f"/photos/{mine[1]}", params=wrong)).status_code == 404


async def test_an_anonymous_filer_reads_the_photos_with_the_filer_key(town):
    photo = (await upload(town, jpeg())).json()["id"]
    case = await town.file(photo_ids=[photo])
    assert (await town.client.get(f"/photos/{photo}")).status_code == 404
    keyed = await town.client.get(f"/photos/{photo}", headers={"X-Filer-Key": case["filer_key"]})
    assert keyed.status_code == 200
    other = await town.file()
    wrong = await town.client.get(f"/photos/{photo}", headers={"X-Filer-Key": other["filer_key"]})
    assert wrong.status_code == 404


async def test_unknown_others_and_taken_photos_are_refused_and_nothing_is_filed(town):
    villager = town.villager("villager-1")
    theirs = (await upload(town, jpeg(), town.villager("villager-2"))).json()["id"]
    mine = (await upload(town, jpeg(), villager)).json()["id"]
    body = {"kind": "request", "category": "water", "description": "水管坏了", "grid_id": town.group_id}
    unknown = "00000000-0000-4000-8000-000000000000"
    for photo_ids, status in (([unknown], 422), ([theirs], 422), ([mine, mine], 422), ([mine] * 4, 422)):
        answer = await town.client.post("/cases", json={**body, "photo_ids": photo_ids}, headers=villager)
        assert answer.status_code == status, (photo_ids, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert (await town.client.get("/cases", headers=town.office())).json()["total"] == 0

    first = await town.file(villager, photo_ids=[mine])
    again = await town.client.post("/cases", json={**body, "photo_ids": [mine]}, headers=villager)
    assert again.status_code == 409
    assert (await town.client.get("/cases", headers=town.office())).json()["total"] == 1
    assert [photo["id"] for photo in first["photos"]] == [mine]


async def test_the_same_idempotency_key_gives_the_same_photo_once(town):
    headers = {"Idempotency-Key": "photo-upload-0001"}
    data = jpeg()
    first = await upload(town, data, headers)
    again = await upload(town, data, headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = await upload(town, jpeg(quality=50), headers)
    assert other.status_code == 422
    assert await photo_count(town) == 1


async def test_deputies_and_staff_add_field_visit_photos_to_a_case(town):
    case = await town.file(town.villager())
    deputy = town.deputy()
    evidence = [(await upload(town, jpeg(), deputy)).json()["id"] for _ in range(2)]
    answer = await town.client.post(f"/cases/{case['id']}/photos", json={"photo_ids": evidence}, headers=deputy)
    assert answer.status_code == 200, answer.text
    assert [photo["id"] for photo in answer.json()["photos"]] == evidence
    assert answer.json()["timeline"][-1]["action"] == "photos"
    assert answer.json()["timeline"][-1]["actor_role"] == "deputy"
    assert (await town.client.get(f"/photos/{evidence[0]}", headers=town.villager())).status_code == 200

    staff_photo = (await upload(town, jpeg(), town.staff())).json()["id"]
    added = await town.client.post(
        f"/cases/{case['id']}/photos", json={"photo_ids": [staff_photo]}, headers=town.staff()
    )
    assert [photo["id"] for photo in added.json()["photos"]] == [*evidence, staff_photo]

    late = (await upload(town, jpeg(), town.villager())).json()["id"]
    for headers in (town.villager(), town.deputy(town.other_deputy_id)):
        refused = await town.client.post(f"/cases/{case['id']}/photos", json={"photo_ids": [late]}, headers=headers)
        assert refused.status_code == 403
    taken = await town.client.post(f"/cases/{case['id']}/photos", json={"photo_ids": [evidence[0]]}, headers=deputy)
    assert taken.status_code == 409


async def test_a_phone_photo_goes_through_the_gateway_and_back(nats_server, databases, keys):
    """Over real HTTP: the gateway streams a body over 256 KiB to the service, and relays the image back."""
    import httpx

    from tests.integration.test_gateway_harness import gateway_settings, migrated_app, served

    async with AsyncExitStack() as stack:
        town = await build_town(stack, nats_server, databases, keys)
        service = await stack.enter_async_context(served(town.case_intake.app, lifespan=False))
        settings = gateway_settings(databases, nats_server.url, keys, case_intake_url=service)
        gateway = await stack.enter_async_context(served(await migrated_app(settings)))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=gateway, timeout=30))
        noisy = Image.effect_noise((1600, 1200), 80).convert("RGB")  # noise: a JPEG of a few MB, as a phone makes
        out = io.BytesIO()
        noisy.save(out, "JPEG", quality=95)
        assert out.tell() > 1024 * 1024
        villager = town.villager()
        answer = await http.post(
            "/api/case-intake/photos", files={"file": ("IMG.jpg", out.getvalue(), "image/jpeg")}, headers=villager
        )
        assert answer.status_code == 201, answer.text
        photo = answer.json()
        assert (photo["width"], photo["height"]) == (1600, 1200)
        image = await http.get(photo["url"], headers=villager)
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(image.content)).size == (1600, 1200)
        too_big = await http.post(
            "/api/case-intake/photos", files={"file": ("x.jpg", b"\xff" * (11 * 1024 * 1024), "image/jpeg")}
        )
        assert too_big.status_code == 413 and too_big.headers["content-type"] == "application/problem+json"
        assert await photo_count(town) == 1


async def test_an_upload_no_filing_took_is_deleted_after_a_week_and_attached_ones_stay(town):
    from datetime import UTC, datetime, timedelta

    from services.case_intake.logic.deadlines import run_deadlines
    from shared.clock import MovableClock

    clock = town.case_intake.runtime.clock = MovableClock(datetime(2026, 11, 2, 2, tzinfo=UTC))
    villager = town.villager()
    kept, abandoned = [(await upload(town, jpeg(), villager)).json()["id"] for _ in range(2)]
    await town.file(villager, photo_ids=[kept])
    clock.current += timedelta(days=6)
    await run_deadlines(town.case_intake.runtime)
    assert await photo_count(town) == 2
    clock.current += timedelta(days=2)
    await run_deadlines(town.case_intake.runtime)
    assert await photo_count(town) == 1
    assert (await town.client.get(f"/photos/{abandoned}", headers=villager)).status_code == 404
    assert (await town.client.get(f"/photos/{kept}", headers=villager)).status_code == 200
