"""Settings that fail closed (issue #16, item 7) and the bus's permission table (item 4), without I/O."""

import re
import ssl
from pathlib import Path

import pytest
from pydantic import ValidationError

from devstack.natsauth import consumed_streams, permissions
from gateway.settings import GatewaySettings
from shared.config import DEV_PUBLIC_KEY, SERVICES, Settings
from shared.messaging.bus import connect_options
from shared.messaging.catalogue import STREAMS
from shared.messaging.permissions import PUBLISHERS, authorization_block, own_streams

PRODUCTION = {
    "environment": "production",
    "database_url": "postgresql+asyncpg://grid:secret@db:5432/deputies",
    "token_public_key_file": Path("/keys/token-signing.pub.pem"),
    "nats_url": "nats://nats-0.nats:4222",
    "nats_user": "grid",
    "nats_password": "a-password",
    "nats_tls_ca_file": Path("/etc/nats-ca/ca.crt"),
    "public_url": "https://deputies.example.gov.cn",
}


@pytest.mark.parametrize("spelling", ["Production", "PRODUCTION", "prod", "production ", "staging", "dev", ""])
def test_an_environment_that_is_not_exactly_one_of_the_two_refuses_to_start(spelling, monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", spelling)
    with pytest.raises(ValidationError, match="environment"):
        Settings()
    with pytest.raises(ValidationError, match="environment"):
        GatewaySettings(otp_sender="webhook", otp_webhook_url="https://sms.example/send")


def test_the_two_exact_values_are_taken(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "development")
    assert not Settings().is_production
    assert Settings(**PRODUCTION).is_production


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"database_url": ""}, "PostgreSQL"),
        ({"token_public_key_file": DEV_PUBLIC_KEY}, "TOKEN_PUBLIC_KEY_FILE"),
        ({"nats_tls_ca_file": None}, "NATS_TLS_CA_FILE"),
        ({"public_url": "http://127.0.0.1:8000"}, "PUBLIC_URL"),
    ],
)
def test_production_refuses_development_parts(change, refusal):
    with pytest.raises(ValidationError, match=refusal):
        Settings(**{**PRODUCTION, **change})


def test_production_gateway_refuses_the_log_code_sender_and_the_development_key():
    gateway = {
        **PRODUCTION,
        "token_private_key_file": Path("/keys/private/token-signing.pem"),
        "encryption_keys_file": Path("/keys/encryption/keys.json"),
    }
    with pytest.raises(ValidationError, match="OTP_SENDER"):
        GatewaySettings(**gateway)
    with pytest.raises(ValidationError, match="TOKEN_PRIVATE_KEY_FILE"):
        GatewaySettings(**{**gateway, "token_private_key_file": DEV_PUBLIC_KEY.parent / "token-signing.pem"})
    ready = GatewaySettings(**gateway, otp_sender="webhook", otp_webhook_url="https://sms.example/send")
    assert not ready.dev_endpoints


def test_the_gateway_texts_codes_through_aliyun_only_with_its_keys_a_sign_in_template_and_https():
    gateway = {
        **PRODUCTION,
        "token_private_key_file": Path("/keys/private/token-signing.pem"),
        "encryption_keys_file": Path("/keys/encryption/keys.json"),
        "public_url": "https://deputies.example.gov.cn",
        "otp_sender": "aliyun",
        "aliyun_access_key_id": "key-id",
        "aliyun_access_key_secret": "key-secret",
        "aliyun_sms_templates": {"signin_code": "SMS_900001"},
    }
    assert GatewaySettings(**gateway).otp_sender == "aliyun"
    for change, refusal in [
        ({"aliyun_access_key_secret": ""}, "ALIYUN_ACCESS_KEY_SECRET"),
        ({"aliyun_sms_templates": {"case_routed": "SMS_1"}}, "signin_code"),  # the notices' templates are not enough
        ({"aliyun_sms_endpoint": "http://dysmsapi.aliyuncs.com/"}, "https"),
        ({"otp_sender": "sms"}, "OTP_SENDER"),
        ({"sms_signature": "人大代表进网格" * 6}, "SMS_SIGNATURE"),  # a code would no longer fit one SMS
    ]:
        with pytest.raises(ValidationError, match=refusal):
            GatewaySettings(**{**gateway, **change})


def test_a_nats_user_without_a_password_is_refused():
    with pytest.raises(ValidationError, match="NATS_PASSWORD"):
        Settings(nats_user="grid")


def test_connect_options_carry_the_user_its_inbox_and_tls_first(tmp_path):
    from cryptography.hazmat.primitives import serialization

    from deploy.certificates import certificate_authority

    ca_key, ca_cert = certificate_authority("test CA")
    (tmp_path / "ca.crt").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    settings = Settings(nats_url="nats://a:4222, nats://b:4222", nats_user="deputy", nats_password="pw")
    options = connect_options(settings.model_copy(update={"nats_tls_ca_file": tmp_path / "ca.crt"}))
    assert options["servers"] == ["nats://a:4222", "nats://b:4222"]
    assert (options["user"], options["password"], options["inbox_prefix"]) == ("deputy", "pw", "_INBOX.deputy")
    assert isinstance(options["tls"], ssl.SSLContext) and options["tls_handshake_first"] is True
    assert "tls" not in connect_options(settings)


# --- the permission table -------------------------------------------------------------------------------


def _event_subjects(subjects: list[str]) -> set[str]:
    return {subject for subject in subjects if not subject.startswith(("$JS.", "_INBOX.", "deadletter."))}


def test_every_stream_has_exactly_one_publishing_service():
    assert set(PUBLISHERS) == set(STREAMS)
    assert set(PUBLISHERS.values()) <= {*SERVICES, "gateway"}  # the gateway publishes identity events


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_publishes_only_its_own_subjects_and_subscribes_only_to_its_inbox(service):
    allowed = permissions()[service]
    assert _event_subjects(allowed["publish"]["allow"]) == {f"{STREAMS[stream]}.>" for stream in own_streams(service)}
    assert allowed["subscribe"] == {"allow": [f"_INBOX.{service}.>"]}
    assert [s for s in allowed["publish"]["allow"] if s.startswith("deadletter.")] == [f"deadletter.{service}.>"]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_reaches_consumers_only_on_the_streams_its_subscriptions_name(service):
    allowed = permissions()[service]["publish"]["allow"]
    consumer_calls = [subject for subject in allowed if ".CONSUMER." in subject or subject.startswith("$JS.ACK.")]
    streams = {re.search(rf"\.([A-Z]+)\.{service}(\.|$)", subject).group(1) for subject in consumer_calls}
    assert streams == set(consumed_streams()[service])
    created = {subject.rpartition(".")[2] for subject in allowed if ".STREAM.CREATE." in subject}
    assert created == {*consumed_streams()[service], "DEADLETTER", *own_streams(service)}
    reads = [subject for subject in allowed if ".MSG.GET." in subject or ".INFO." in subject or "DIRECT" in subject]
    own = [f"$JS.API.{kind}.{stream}" for stream in own_streams(service) for kind in ("STREAM.INFO", "STREAM.MSG.GET")]
    assert reads == own + [  # a service that publishes nothing has no stream
        f"$JS.API.CONSUMER.INFO.{stream}.{service}" for stream in consumed_streams()[service]
    ]
    assert not any("*" in subject for subject in allowed)
    assert all(f".{service}.>" in subject for subject in allowed if subject.startswith("$JS") and ">" in subject)


def test_the_gateway_reads_its_streams_like_a_service_and_publishes_identity_events_only():
    gateway = permissions()["gateway"]
    allowed = gateway["publish"]["allow"]
    events = [subject for subject in allowed if subject.endswith(".>") and not subject.startswith("$JS.")]
    assert events == ["identity.>", "deadletter.gateway.>"]
    assert {subject.split(".")[4] for subject in allowed if ".CONSUMER.INFO." in subject} == {"CASE", "GRID"}
    assert gateway["subscribe"]["allow"] == ["_INBOX.gateway.>", "case.>"]


def test_the_server_configuration_has_a_user_for_every_process_and_no_anonymous_one():
    text = authorization_block(permissions(), {user: f"$P_{user.upper()}" for user in permissions()})
    assert "no_auth_user" not in text
    for user in [*SERVICES, "gateway", "operator"]:
        assert f'{{user: "{user}", password: $P_{user.upper()}, permissions: {{' in text


async def test_production_refuses_the_demo_city():
    from devstack.demo import DemoDataRefused, seed_accounts, seed_service

    with pytest.raises(DemoDataRefused):
        await seed_service("grid", Settings(**PRODUCTION))
    with pytest.raises(DemoDataRefused):
        await seed_accounts(Settings(**{**PRODUCTION, "service_name": "gateway"}), Path("/keys/private.pem"))
