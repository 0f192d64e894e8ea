"""The gateway's rules without I/O: code limits, TOTP, rate windows, token tampering, client addresses."""

import base64
import json
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network

import jwt
import pytest

from gateway.edge.clients import client_address
from gateway.edge.ratelimit import SlidingWindow, TooManyRequests
from gateway.identity import otp, totp
from gateway.schemas import CodeRequest
from shared.auth import Principal, Role, TokenVerifier, generate_keypair, issue_token, jwk_of, public_keys
from shared.clock import MovableClock
from shared.errors import Unauthorized

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
POLICY = otp.CodePolicy()


def test_codes_are_six_digits_and_only_their_keyed_hash_is_kept():
    codes = {otp.new_code() for _ in range(200)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(codes) > 150
    key = otp.code_key(b"a private key")
    assert otp.hash_code(key, "13812345678", "123456") != otp.hash_code(key, "13812345679", "123456")
    assert otp.hash_code(key, "13812345678", "123456") != otp.hash_code(otp.code_key(b"other"), "13812345678", "123456")


def test_one_code_a_minute():
    assert otp.wait_seconds([], NOW, POLICY) == 0
    assert otp.wait_seconds([NOW - timedelta(seconds=20)], NOW, POLICY) == 40
    assert otp.wait_seconds([NOW - timedelta(seconds=61)], NOW, POLICY) == 0


def test_five_codes_an_hour():
    times = [NOW - timedelta(minutes=minutes) for minutes in (50, 40, 30, 20, 10)]
    assert otp.wait_seconds(times, NOW, POLICY) == 10 * 60
    assert otp.wait_seconds(times[1:], NOW, POLICY) == 0


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("138 1234-5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_are_normalised(sent, kept):
    assert CodeRequest(phone=sent).phone == kept


@pytest.mark.parametrize(
    "bad",
    ["12345", "abc1234567", "1381234567\x00", "+" + "1" * 16, "0" * 23, "138  1234 5678", "138\t12345678", "-1381234"],
)
def test_odd_phone_numbers_are_refused(bad):
    with pytest.raises(ValueError):
        CodeRequest(phone=bad)


def test_totp_accepts_one_step_of_drift_and_never_the_same_code_twice():
    secret = totp.new_secret()
    code = totp.code_at(secret, NOW)
    step = totp.matching_step(secret, code, NOW + timedelta(seconds=25), None)
    assert step is not None
    assert totp.matching_step(secret, code, NOW + timedelta(seconds=25), step) is None
    assert totp.matching_step(secret, code, NOW + timedelta(minutes=3), None) is None
    assert totp.provisioning_uri(secret, "office").startswith("otpauth://totp/")


def test_the_sliding_window_refuses_then_forgives():
    clock = MovableClock(NOW)
    window = SlidingWindow(2, timedelta(minutes=1), clock)
    window.hit("10.0.0.1")
    window.hit("10.0.0.1")
    with pytest.raises(TooManyRequests) as refused:
        window.hit("10.0.0.1")
    assert refused.value.status == 429 and refused.value.retry_after == 61
    window.hit("10.0.0.2")  # another address has its own window
    clock.advance(timedelta(seconds=61))
    window.hit("10.0.0.1")


def test_x_forwarded_for_counts_only_behind_a_trusted_proxy():
    scope = {"client": ("10.1.1.1", 5000), "headers": [(b"x-forwarded-for", b"1.2.3.4, 10.1.1.1")]}
    assert client_address(scope, ()) == "10.1.1.1"
    assert client_address(scope, (ip_network("10.1.1.1"),)) == "1.2.3.4"
    assert client_address(scope, (ip_network("10.0.0.0/8"),)) == "1.2.3.4"
    assert client_address(scope, (ip_network("192.168.0.0/16"),)) == "10.1.1.1"
    loopback = {"client": ("127.0.0.1", 5000), "headers": [(b"x-forwarded-for", b"6.6.6.6")]}
    assert client_address(loopback, ()) == "127.0.0.1"  # loopback is no proxy unless TRUSTED_PROXIES says so


@pytest.fixture(scope="module")
def keypair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("unit-keys")
    generate_keypair(folder / "k.pem", folder / "k.pub")
    return (folder / "k.pem").read_bytes(), (folder / "k.pub").read_bytes()


def _token(private: bytes, **changes) -> str:
    principal = Principal(subject="u1", roles=frozenset({Role.deputy}), deputy_id="d1")
    return issue_token(private, principal, issuer="deputies-in-the-grid", lifetime=timedelta(minutes=15), **changes)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_signed_token_verifies_and_names_its_key(keypair):
    private, public = keypair
    kid = jwk_of(public)["kid"]
    token = _token(private, key_id=kid)
    assert jwt.get_unverified_header(token)["kid"] == kid
    principal = TokenVerifier(public, "deputies-in-the-grid").verify(token)
    assert principal.roles == {Role.deputy} and principal.deputy_id == "d1"


def test_tampered_tokens_are_refused(keypair, tmp_path):
    private, public = keypair
    verifier = TokenVerifier(public, "deputies-in-the-grid")
    header, payload, signature = _token(private).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    promoted = _b64({**claims, "roles": ["npc_office"]})
    unsigned = _b64({"alg": "none", "typ": "JWT"})
    generate_keypair(tmp_path / "other.pem", tmp_path / "other.pub")
    forged = _token((tmp_path / "other.pem").read_bytes())
    wrong_issuer = issue_token(
        private, Principal(subject="u1", roles=frozenset()), issuer="someone-else", lifetime=timedelta(minutes=5)
    )
    for bad in (
        f"{header}.{promoted}.{signature}",
        f"{unsigned}.{payload}.",
        f"{header}.{payload}.{signature[:-4]}AAAA",
        forged,
        wrong_issuer,
        "not-a-token",
    ):
        with pytest.raises(Unauthorized):
            verifier.verify(bad)


def test_expired_tokens_are_refused(keypair):
    private, public = keypair
    token = _token(private, now=datetime.now(UTC) - timedelta(minutes=16))
    with pytest.raises(Unauthorized):
        TokenVerifier(public, "deputies-in-the-grid").verify(token)


def test_the_jwk_is_an_okp_key_with_its_thumbprint(keypair):
    _, public = keypair
    key = jwk_of(public)
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
    assert len(base64.urlsafe_b64decode(key["x"] + "=")) == 32
    assert key["kid"] == jwk_of(public)["kid"]


def test_a_key_file_may_hold_several_pems_or_a_jwks_document_and_names_keys_by_thumbprint(keypair, tmp_path):
    private, public = keypair
    generate_keypair(tmp_path / "next.pem", tmp_path / "next.pub")
    following = (tmp_path / "next.pub").read_bytes()
    bundle = public_keys(following + public)
    assert list(bundle) == [jwk_of(following)["kid"], jwk_of(public)["kid"]]
    document = json.dumps({"keys": [{**jwk_of(public), "kid": jwk_of(following)["kid"]}]}).encode()
    assert list(public_keys(document)) == [jwk_of(public)["kid"]]  # a document cannot rename a key
    token = _token(private)
    for source in (following + public, document):
        assert TokenVerifier(source, "deputies-in-the-grid").verify(token).deputy_id == "d1"
    with pytest.raises(Unauthorized):
        TokenVerifier(following, "deputies-in-the-grid").verify(token)


async def test_a_webhook_connection_never_reaches_an_internal_address_whatever_a_name_resolves_to():
    from gateway.integrations.webhooks import PublicResolver

    with pytest.raises(OSError):
        await PublicResolver(allow_loopback=False).resolve("localhost", 443)
    assert [result["host"] for result in await PublicResolver(allow_loopback=True).resolve("127.0.0.1", 80)] == [
        "127.0.0.1"
    ]
