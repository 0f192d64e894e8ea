"""The notification rules without a database: who is told what, quiet hours, backoff, the words (SMS within
one segment), the push-service allow-list, and the Aliyun SMS request signature against its documented
example."""

from datetime import UTC, datetime, timedelta

import pytest

from services.notification.domain.endpoints import PUBLIC_PUSH_SERVICES, endpoint_problem, parse_hosts
from services.notification.domain.notices import (
    BOOKING_KINDS,
    SUGGESTION_KINDS,
    VILLAGER_KINDS,
    WITHOUT_A_CASE,
    Audience,
    CaseFacts,
    Kind,
    decide,
    screen_for,
)
from services.notification.domain.texts import SMS_SEGMENT, sms_text, words
from services.notification.domain.timing import backoff, not_before
from shared.clock import CHINA
from shared.sms.aliyun import aliyun_signature, aliyun_signed_query


def beijing(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=CHINA).astimezone(UTC)


@pytest.mark.parametrize(
    ("at", "urgent", "expected"),
    [
        (beijing(20, 59), False, beijing(20, 59)),
        (beijing(21, 0), False, beijing(8, 0, day=3)),
        (beijing(23, 30), False, beijing(8, 0, day=3)),
        (beijing(3, 0), False, beijing(8, 0)),
        (beijing(7, 59), False, beijing(8, 0)),
        (beijing(8, 0), False, beijing(8, 0)),
        (beijing(23, 30), True, beijing(23, 30)),
        (beijing(3, 0), True, beijing(3, 0)),
    ],
)
def test_quiet_hours_hold_all_but_urgent_notices_until_eight_in_beijing(at, urgent, expected):
    assert not_before(at, urgent=urgent) == expected


def test_retries_wait_longer_each_time_and_stop_growing():
    waits = [backoff(attempt) for attempt in range(1, 10)]
    assert waits == sorted(waits) and waits[0] == timedelta(seconds=5) and waits[-1] == waits[-2]


def facts(event_type: str, deputies: tuple[str, ...] = ("d1",), **more) -> CaseFacts:  # type: ignore[no-untyped-def]
    return CaseFacts(event_type, "case-1", "SS-2612-00001", "grid-1", deputies, **more)


def test_who_is_told_what():
    assert (
        decide(facts("case.case.submitted.v2")) == [decide(facts("case.case.submitted.v2"))[0]]
        and decide(facts("case.case.submitted.v2"))[0].kind == Kind.case_routed
    )
    assert decide(facts("case.case.submitted.v2", ())) == []  # waiting for a deputy: nobody to tell yet
    assert decide(facts("case.case.assigned.v2"))[0].deputy_ids == ("d1",)
    assert [n.kind for n in decide(facts("case.case.reminded.v1", stage="chase"))] == [Kind.case_chased]
    assert [n.kind for n in decide(facts("case.case.reminded.v1", stage="reminder"))] == [Kind.case_reminder]
    for event, kind in (
        ("case.case.accepted.v1", Kind.case_accepted),
        ("case.case.referred.v1", Kind.case_referred),
        ("case.case.resolved.v1", Kind.case_resolved),
        ("case.case.rejected.v1", Kind.case_rejected),
        ("case.case.reopened.v1", Kind.case_reopened),
    ):
        [notice] = decide(facts(event))
        assert (notice.kind, notice.audience) == (kind, Audience.followers)
    assert decide(facts("case.case.started.v1")) == []  # a deputy's own step is no news to anyone
    assert decide(facts("case.case.noted.v1")) == []
    escalated = decide(facts("case.case.escalated.v1", ("head",), urgent=True))
    assert [(n.kind, n.deputy_ids, n.urgent) for n in escalated] == [(Kind.case_escalated, ("head",), True)]


def test_each_notice_opens_its_screen():
    assert screen_for(Kind.case_routed, "c1", "SS-2612-00001") == "/deputy/case/c1"
    assert screen_for(Kind.case_resolved, "c1", "SS-2612-00001") == "/track/SS-2612-00001"
    assert screen_for(Kind.booking_promoted, "", None) == "/book"
    assert screen_for(Kind.objection_raised, "", None) == "/office/review"
    assert screen_for(Kind.suggestion_assigned, "", None) == "/office/suggestions"
    assert screen_for(Kind.suggestion_due, "", None) == "/office/suggestions"
    assert screen_for(Kind.suggestion_answered, "", None) == "/deputy/suggestions"


def test_what_the_public_may_follow_by_a_code_never_includes_an_officials_notice():
    """The list by tracking code (whoever holds a code) shows the villager kinds only: a project's approval for
    the case, never a suggestion, a booking or an objection (those go to accounts)."""
    assert {Kind.project_approved, Kind.project_completed} <= VILLAGER_KINDS
    assert not VILLAGER_KINDS & (BOOKING_KINDS | SUGGESTION_KINDS | {Kind.objection_raised})


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("kind", list(Kind))
def test_every_sms_fits_one_segment_even_with_a_long_grid_name(kind, language):
    text = sms_text(kind, language, "SS-2612-00001", "韶山乡韶阳村第十二村民小组" * 10, "人大代表进网格")
    assert len(text) <= SMS_SEGMENT
    assert text.startswith("【人大代表进网格】") and ("SS-2612-00001" in text) == (kind not in WITHOUT_A_CASE)


def test_words_default_to_chinese_and_carry_only_code_and_grid():
    title, body = words(Kind.case_routed, "fr", "SS-2612-00001", "韶阳村第1组")
    assert title == "新的群众诉求" and body == "韶阳村第1组有新诉求SS-2612-00001，请尽快受理。"


ALLOWED = (*PUBLIC_PUSH_SERVICES, "127.0.0.1")


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QGm",
        "https://wns2-by3p.notify.windows.com/w/?token=abc",
        "http://127.0.0.1:9000/push/a",
    ],
)
def test_endpoints_of_the_push_services_are_taken(endpoint):
    assert endpoint_problem(endpoint, ALLOWED) is None


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://evil.example.com/push",  # not a push service
        "https://fcm.googleapis.com.evil.example.com/x",  # a look-alike host
        "https://evilfcm.googleapis.com/x",
        "https://push.apple.com/x",  # the wildcard is for names below it
        "http://fcm.googleapis.com/fcm/send/abc",  # plain http to a public host
        "https://user:pass@fcm.googleapis.com/x",  # credentials in the URL
        "file:///etc/passwd",
        "http://127.0.0.1/push",  # loopback without a port is not a test receiver
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://[::1]:443/x",
        "not a url",
    ],
)
def test_nothing_else_is_an_endpoint(endpoint):
    assert endpoint_problem(endpoint, ALLOWED) is not None


def test_loopback_is_taken_only_when_the_list_names_it():
    assert endpoint_problem("http://127.0.0.1:9000/push/a", PUBLIC_PUSH_SERVICES) is not None
    assert parse_hosts(" 127.0.0.1 , FCM.googleapis.com. ,") == ("127.0.0.1", "fcm.googleapis.com")


ALIYUN_EXAMPLE = {
    # Aliyun SMS documentation, 签名机制 (help.aliyun.com/document_detail/101343): the request signed with the
    # AccessKey secret "testSecret"
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def test_the_aliyun_signature_is_the_documented_one():
    assert aliyun_signature(ALIYUN_EXAMPLE, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert aliyun_signed_query(ALIYUN_EXAMPLE, "testSecret") == (
        "Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D&AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123"
        "&PhoneNumbers=15300000001&RegionId=cn-hangzhou"
        "&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8"
        "&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0"
        "&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D"
        "&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
    )
    assert aliyun_signature(ALIYUN_EXAMPLE, "otherSecret") != "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_production_takes_the_vapid_key_from_settings_and_refuses_to_start_without_one_or_an_sms_provider(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from pydantic import ValidationError

    from services.notification.channels.webpush import VapidKeys, b64url_decode
    from services.notification.policy import NotificationPolicy
    from shared.config import VAR_DIR

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    production = {
        "environment": "production",
        "vapid_private_key": pem.decode(),
        "vapid_private_key_file": VAR_DIR / "keys" / "vapid.pem",  # the development key is no production key
        "vapid_subject": "mailto:office@shaoshan.example",
        "sms_provider": "aliyun",
        "aliyun_access_key_id": "id",
        "aliyun_access_key_secret": "secret",
        "aliyun_sms_templates": {"case_routed": "SMS_1"},
    }
    keys = VapidKeys.load(NotificationPolicy(**production))
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert b64url_decode(keys.application_server_key) == public
    for missing in ("vapid_private_key", "sms_provider", "aliyun_sms_templates"):
        with pytest.raises(ValidationError):
            NotificationPolicy(
                **{
                    **production,
                    missing: "dev" if missing == "sms_provider" else ({} if missing == "aliyun_sms_templates" else ""),
                }
            )
    development = NotificationPolicy(vapid_private_key_file=tmp_path / "keys" / "vapid.pem")
    first = VapidKeys.load(development).application_server_key
    assert VapidKeys.load(development).application_server_key == first  # made once, then kept
    assert (tmp_path / "keys" / "vapid.pem").stat().st_mode & 0o077 == 0
