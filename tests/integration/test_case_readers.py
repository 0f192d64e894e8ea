"""Every way case intake makes someone a reader, tried from a stranger's side (logic/access.py is the table):
another villager, a deputy of another township, an officer of another organisation, finance, and nobody signed
in. Saying "me too", being merged, being named a mediator, a referral, a station issue, staff filing on a
villager's behalf, the filer key and the tracking code each grant exactly what the table says — and no more."""

import io
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from functools import cache

import pytest
from PIL import Image

from services.case_intake import projections
from shared.auth import Role
from shared.messaging.catalogue import StationIssueRaised
from tests.integration import audio
from tests.integration.city import build_town

PHONE, NAME = "13812345678", "王秀英"
NOWHERE = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
async def town(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        yield await build_town(stack, nats_server, databases, keys)


def strangers(town) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Who has no standing on the town's cases: signed in as each kind of account, or not at all."""
    return {
        "another villager": town.villager(f"stranger-{uuid.uuid4().hex[:6]}"),
        "a deputy of another township": town.deputy(str(uuid.uuid4())),
        "an officer of another organisation": town.officer("court", subject="officer-court"),
        "finance": town.keys.headers(Role.finance, subject="finance-1"),
        "nobody signed in": {},
    }


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(out, "JPEG")
    return out.getvalue()


@cache
def voice() -> bytes:
    return audio.ogg(1)


async def with_photo(town, headers: dict[str, str], **changes: object) -> dict:  # type: ignore[no-untyped-def]
    """A case filed with a photo and a voice note (whose readers are the photo's)."""
    uploaded = await town.client.post("/photos", files={"file": ("a.jpg", jpeg(), "image/jpeg")}, headers=headers)
    assert uploaded.status_code == 201, uploaded.text
    spoken = await town.client.post("/recordings", files={"file": ("v.ogg", voice(), "audio/ogg")}, headers=headers)
    assert spoken.status_code == 201, spoken.text
    return await town.file(headers, photo_ids=[uploaded.json()["id"]], recording_id=spoken.json()["id"], **changes)


async def assert_reads_nothing(town, case: dict, headers: dict[str, str], who: str) -> None:  # type: ignore[no-untyped-def]
    """The caller gets neither the case, its contact, its photos, its referrals nor a place in their list."""
    seen = await town.client.get(f"/cases/{case['id']}", headers=headers)
    assert seen.status_code == (401 if not headers else 403), (who, seen.text)
    assert NAME not in seen.text and PHONE not in seen.text
    contact = await town.client.get(f"/cases/{case['id']}/contact", headers=headers)
    assert contact.status_code in (401, 403), who
    for photo in case["photos"]:
        assert (
            await town.client.get(photo["url"].removeprefix("/api/case-intake"), headers=headers)
        ).status_code == 404
    if case.get("recording"):
        heard = await town.client.get(case["recording"]["url"].removeprefix("/api/case-intake"), headers=headers)
        assert heard.status_code == 404, who
    if headers:
        listed = await town.client.get("/cases", headers=headers, params={"limit": 200})
        assert case["id"] not in {item["id"] for item in listed.json()["items"]}, who
        referrals = await town.client.get(f"/cases/{case['id']}/referrals", headers=headers)
        assert referrals.status_code == 403, who


async def test_saying_me_too_makes_no_one_a_reader(town):
    case = await with_photo(
        town, town.villager("villager-1"), description=f"我是{NAME}，电话{PHONE}", contact_phone=PHONE
    )
    await town.act(case["id"], "accept", town.deputy())
    noted = await town.client.post(
        f"/cases/{case['id']}/notes", json={"note": "内部：先别告诉村民"}, headers=town.deputy()
    )
    assert noted.status_code == 201
    for who, headers in strangers(town).items():
        supported = await town.client.post(f"/cases/{case['id']}/support", headers=headers)
        assert supported.status_code == 201, (who, supported.text)
        assert set(supported.json()) == {"case_id", "supporters"}
        await assert_reads_nothing(town, case, headers, who)
    office = (await town.client.get(f"/cases/{case['id']}", headers=town.office())).json()
    assert office["supporters"] == 5


async def test_a_private_case_or_a_dispute_cannot_be_supported_by_a_stranger_who_is_told_it_does_not_exist(town):
    private = await town.file(town.villager("villager-1"), public=False)
    dispute = await town.file(town.villager("villager-2"), kind="dispute", category="neighbourhood")
    for who, headers in strangers(town).items():
        missing = await town.client.post(f"/cases/{NOWHERE}/support", headers=headers)
        for case in (private, dispute):
            refused = await town.client.post(
                f"/cases/{case['id']}/support",
                headers={**headers, "Idempotency-Key": f"me-too-{uuid.uuid4().hex[:12]}"},
            )
            assert refused.status_code == missing.status_code == 404, (who, refused.text)
            shape = {key: value for key, value in refused.json().items() if key != "detail"}
            assert shape == {key: value for key, value in missing.json().items() if key != "detail"}
            assert refused.json()["detail"] == f"没有这件诉求（{case['id']}）。"
    for case in (private, dispute):
        seen = (await town.client.get(f"/cases/{case['id']}", headers=town.office())).json()
        assert seen["supporters"] == 0 and [step["action"] for step in seen["timeline"]] == ["submit", "route"]
        # those who may read it are told why instead
        assert (await town.client.post(f"/cases/{case['id']}/support", headers=town.deputy())).status_code == 409


async def test_internal_notes_are_for_the_deputies_it_is_routed_to_and_the_office(town):
    case = await town.file(town.villager("villager-1"))
    await town.act(case["id"], "accept", town.deputy())
    await town.act(case["id"], "refer", town.deputy(), {"organisation": "water-bureau", "question": "请答复"})
    note = await town.client.post(f"/cases/{case['id']}/notes", json={"note": "内部备注"}, headers=town.office())
    assert note.status_code == 201

    async def actions(headers: dict[str, str]) -> list[str]:
        seen = await town.client.get(f"/cases/{case['id']}", headers=headers)
        assert seen.status_code == 200, seen.text
        return [step["action"] for step in seen.json()["timeline"]]

    for official in (town.deputy(), town.office(), town.staff()):
        assert "note" in await actions(official)
    # the township's grid head reads the cases of the township, and the water bureau the case it was sent
    for reader in (town.deputy(town.head_id), town.officer(), town.villager("villager-1")):
        assert "note" not in await actions(reader)
    listed = await town.client.get("/cases", headers=town.deputy(town.head_id))
    assert "内部备注" not in listed.text


async def test_every_other_way_to_a_case_grants_only_what_the_table_says(town):
    runtime = town.case_intake.runtime
    # merging: the duplicate's filer and supporters become supporters of a private case, and read nothing of it
    kept = await with_photo(town, town.villager("villager-1"), public=False, contact_phone=PHONE)
    duplicate = await town.file(town.villager("villager-2"))
    await town.client.post(f"/cases/{duplicate['id']}/support", headers=town.villager("villager-3"))
    merged = await town.act(duplicate["id"], "merge", town.office(), {"into_case_id": kept["id"]})
    assert kept["tracking_code"] not in str(merged)
    for villager in ("villager-2", "villager-3"):
        await assert_reads_nothing(town, kept, town.villager(villager), f"merged {villager}")
    own = await town.client.get(f"/cases/{duplicate['id']}", headers=town.villager("villager-2"))
    assert own.status_code == 200 and kept["tracking_code"] not in own.text

    # named as a mediator in a dispute's session: nothing
    dispute = await town.file(town.villager("villager-4"), kind="dispute", category="neighbourhood")
    await town.act(dispute["id"], "accept", town.deputy())
    await town.act(dispute["id"], "mediate", town.deputy())
    mediation = {
        "held_on": "2026-11-20", "place": "村委会", "record": "双方陈述", "outcome": "adjourned",
        "parties": [{"role": "申请人", "name": NAME}, {"role": "被申请人", "name": "李四"}],
        "mediator_deputy_ids": [town.deputy_id, town.other_deputy_id],
    }  # fmt: skip
    held = await town.client.post(f"/cases/{dispute['id']}/mediations", json=mediation, headers=town.deputy())
    assert held.status_code == 201, held.text
    await assert_reads_nothing(town, dispute, town.deputy(town.other_deputy_id), "a mediator named")

    # a referral: the water bureau reads the case without its contact or notes; any other organisation nothing
    referred = await town.file(town.villager("villager-5"), contact_phone=PHONE)
    await town.act(referred["id"], "accept", town.deputy())
    await town.act(referred["id"], "refer", town.deputy(), {"organisation": "water-bureau", "question": "请答复"})
    officer = (await town.client.get(f"/cases/{referred['id']}", headers=town.officer())).json()
    assert officer["contact_phone_masked"] is None and officer["id"] == referred["id"]
    assert (await town.client.get(f"/cases/{referred['id']}/contact", headers=town.officer())).status_code == 403

    # a station issue and staff filing on a villager's behalf: no owner; the filer key is the villager's
    issue = StationIssueRaised(
        record_id=str(uuid.uuid4()), case_id=str(uuid.uuid4()), station_id=str(uuid.uuid4()),
        session_id=str(uuid.uuid4()), grid_id=town.group_id, kind="request", category="water", route="township",
        summary="水费问题", deputy_ids=[town.deputy_id], raised_at=datetime.now(UTC),
    )  # fmt: skip
    async with runtime.maker() as session, session.begin():
        await projections.on_station_issue_raised(session, runtime, issue)
    station = (await town.client.get(f"/cases/{issue.case_id}", headers=town.office())).json()
    on_behalf = await town.file(town.staff(), channel="walk_in", contact_phone=PHONE, contact_name=NAME)
    assert on_behalf["filer_key"] and station["channel"] == "station"
    for case in (station, on_behalf, referred, kept, dispute):
        for who, headers in strangers(town).items():
            await assert_reads_nothing(town, case, headers, who)

    # the filer key acts for the anonymous filer and opens the photos; it makes no token holder a reader
    anonymous = await with_photo(town, {})
    key = {"X-Filer-Key": anonymous["filer_key"]}
    for who, headers in strangers(town).items():
        await assert_reads_nothing(town, anonymous, headers, who)
        wrong = await town.client.post(f"/cases/track/{anonymous['tracking_code']}/withdraw", headers=headers)
        assert wrong.status_code == 403, who
    photo = anonymous["photos"][0]["url"].removeprefix("/api/case-intake")
    assert (await town.client.get(photo, headers=key)).status_code == 200
    heard = await town.client.get(anonymous["recording"]["url"].removeprefix("/api/case-intake"), headers=key)
    assert heard.status_code == 200 and heard.headers["content-type"] == "audio/ogg"

    # the tracking code: the tracking view (numbers masked, no point, no contact, no notes) and the photos
    await town.client.post(f"/cases/{on_behalf['id']}/notes", json={"note": "内部"}, headers=town.office())
    tracked = (await town.client.get(f"/cases/track/{on_behalf['tracking_code']}")).json()
    assert tracked["contact_phone_masked"] is None and tracked["location"] is None
    assert "note" not in [step["action"] for step in tracked["timeline"]]
