"""Bad uploads to POST /photos: each gets a 4xx problem, stores nothing, and leaves the service answering and
the photos it had readable."""

import io
import struct
import zlib
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from services.case_intake.models import Photo
from tests.integration.city import build_town

PROBLEM = "application/problem+json"


def jpeg(width: int = 400, height: int = 300) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A few hundred bytes that declare a huge RGB image (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def multipart(name: str, data: bytes, content_type: str = "image/jpeg") -> dict:
    return {"files": {"file": (name, data, content_type)}}


ESCAPE = Path("/tmp/case-photo-escape.jpg")
BAD = {
    "a text file named photo.jpg": (multipart("photo.jpg", b"just some words, not a photo\n" * 20), 422),
    "a truncated JPEG": (multipart("cut.jpg", jpeg(1200, 900)[:4000]), 422),
    "a bomb past Pillow's own limit": (multipart("bomb.png", png_header_only(100_000, 100_000)), 422),
    "a bomb in Pillow's warning range": (multipart("bomb.png", png_header_only(8_000, 6_000)), 422),
    "a name with ../ paths": (multipart(f"../../../..{ESCAPE}", b"#!/bin/sh\nrm -rf /\n"), 422),
    "11 MB": (multipart("big.jpg", jpeg()[:-2] + b"\x00" * (11 * 1024 * 1024)), 413),
    "JSON to the multipart route": ({"json": {"file": "aGVsbG8="}}, 415),
    "an empty file": (multipart("empty.jpg", b""), 422),
    "no field named file": ({"files": {"photo": ("a.jpg", jpeg(), "image/jpeg")}}, 422),
    "two files": ({"files": [("file", ("a.jpg", jpeg(), "image/jpeg")), ("file", ("b.jpg", jpeg(), "x/y"))]}, 422),
    "multipart without a boundary": ({"content": jpeg(), "headers": {"content-type": "multipart/form-data"}}, 422),
}


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


async def photo_count(town) -> int:  # type: ignore[no-untyped-def]
    async with town.case_intake.runtime.maker() as session:
        return (await session.execute(select(func.count()).select_from(Photo))).scalar_one()


@pytest.mark.parametrize("case", list(BAD))
async def test_a_bad_upload_is_refused_and_changes_nothing(town, case):
    villager = town.villager()
    earlier = await town.client.post("/photos", headers=villager, **multipart("ok.jpg", jpeg()))
    assert earlier.status_code == 201, earlier.text
    request, status = BAD[case]
    request = dict(request)
    answer = await town.client.post("/photos", headers={**villager, **request.pop("headers", {})}, **request)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["status"] == status and problem["type"].startswith("https://")
    assert await photo_count(town) == 1
    assert not ESCAPE.exists()
    assert (await town.client.get("/healthz")).status_code == 200
    again = await town.client.get(earlier.json()["url"].removeprefix("/api/case-intake"), headers=villager)
    assert again.status_code == 200 and again.content[:2] == b"\xff\xd8"


async def test_the_name_of_a_good_file_is_never_used(town):
    answer = await town.client.post("/photos", **multipart("../../../../etc/passwd", jpeg()))
    assert answer.status_code == 201
    assert "passwd" not in answer.text and ".." not in answer.text
    assert answer.json()["url"] == f"/api/case-intake/photos/{answer.json()['id']}"
