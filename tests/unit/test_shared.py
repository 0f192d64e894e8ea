"""The shared building blocks, without I/O."""

import pytest
from pydantic import BaseModel, ValidationError

from devstack.demo import city as demo_city
from services.case_intake.domain.tracking import new_tracking_code
from shared.messaging import export
from shared.messaging.catalogue import CATALOGUE, envelope, parse, stream_of
from shared.privacy import NAME_MARK, mask_phone, phone_forms, redact, scrub
from shared.problems import rewrite_openapi
from shared.types import EntityId, text
from tests.support import case_submitted


class Note(BaseModel):
    body: text(10, 1)  # type: ignore[valid-type]
    about: EntityId | None = None


@pytest.mark.parametrize("bad", ["", "x" * 11, "a\x00b", "\ud800"])
def test_text_refuses_what_databases_cannot_store(bad):
    with pytest.raises(ValidationError):
        Note(body=bad)


def test_text_strips_and_keeps_emoji_and_right_to_left_text():
    assert Note(body="  水🌊 שלום ").body == "水🌊 שלום"


def test_ids_must_be_uuids():
    with pytest.raises(ValidationError):
        Note(body="ok", about="1 OR 1=1")


def test_phone_numbers_are_masked():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(None) is None


def test_an_erased_person_is_scrubbed_from_what_others_wrote_about_them():
    text = "村民毛秀英（电话+86 138-1234-5678，小号 52013）反映：毛秀英家门口积水，王家也是。"
    scrubbed = scrub(text, ["毛秀英", "王"], phone_forms("52013"))  # another number stays: not theirs
    assert scrubbed == f"村民{NAME_MARK}（电话+86 138-1234-5678，小号 *****）反映：{NAME_MARK}家门口积水，王家也是。"
    theirs = scrub(text, ["毛秀英"], ["13812345678"])  # however it was typed
    assert theirs == f"村民{NAME_MARK}（电话{'*' * 17}，小号 52013）反映：{NAME_MARK}家门口积水，王家也是。"
    assert redact(scrubbed) == f"村民{NAME_MARK}（电话+{'*' * 16}，小号 *****）反映：{NAME_MARK}家门口积水，王家也是。"
    assert scrub("毛秀英和毛秀", ["毛秀", "毛秀英"], []) == f"{NAME_MARK}和{NAME_MARK}"


def test_tracking_codes_are_short_and_readable_aloud():
    code = new_tracking_code()
    assert len(code) == len("SS-7KQ3-M9XD-2PWA") and code.startswith("SS-") and code.count("-") == 3


def test_the_demo_city_has_the_reference_shape():
    grids = demo_city.grids()
    assert [sum(1 for grid in grids if grid.level == level) for level in ("township", "village", "group")] == [
        4,
        38,
        218,
    ]
    assert len(demo_city.deputies()) == 414
    assert len({deputy.id for deputy in demo_city.deputies()}) == 414


def test_every_event_type_is_versioned_and_belongs_to_a_stream():
    for event_type in CATALOGUE:
        service, entity, verb, version = event_type.split(".")
        assert version.startswith("v") and stream_of(event_type)


def test_an_event_survives_the_envelope():
    payload = case_submitted("c", "g", ["d"])
    event = envelope("/case-intake", payload)
    assert event.specversion == "1.0" and event.type == "case.case.submitted.v2"
    assert parse(event) == payload


def test_the_published_event_schemas_match_the_code():
    """A payload change needs a new event version: regenerate with `python -m shared.messaging.export`."""
    for name, text_ in export.rendered().items():
        published = export.FOLDER / name
        assert published.exists(), f"{name} is not published in docs/events/"
        assert published.read_text(encoding="utf-8") == text_, f"{name} changed without a new version"


def test_openapi_422_is_the_problem_shape():
    schema = {"paths": {"/x": {"post": {"responses": {"422": {"description": "d"}}}}}}
    out = rewrite_openapi(schema)
    assert out["paths"]["/x"]["post"]["responses"]["422"]["content"]["application/problem+json"]
    assert "Problem" in out["components"]["schemas"]


def test_a_service_with_a_trusted_proxy_setting_that_names_no_address_refuses_to_start(tmp_path):
    from services.grid.app import create_app
    from shared.auth import generate_keypair
    from shared.config import Settings

    generate_keypair(tmp_path / "key.pem", tmp_path / "key.pub.pem")
    settings = Settings(
        service_name="grid",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/grid.db",
        token_public_key_file=tmp_path / "key.pub.pem",
        trusted_proxies="127.0.0.1, gateway",
    )
    with pytest.raises(ValueError):
        create_app(settings)


def test_an_audit_entrys_detail_stays_small():
    from shared.audit import DETAIL_LIMIT, _detail

    assert _detail({"case_id": "c-1", "note": None}) == '{"case_id": "c-1"}'
    assert _detail({"ids": ["x" * 36] * 500}) == '{"truncated": true}' and DETAIL_LIMIT < 40 * 500
