from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from pydantic import model_validator

from gateway.identity.senders import SIGNIN_KIND, code_text_problem
from shared.config import PROJECT_ROOT, SERVICE_PATHS, VAR_DIR, Settings
from shared.i18n import N_
from shared.sms.settings import SmsSettings

RATE_LIMITED_POSTS = {
    ("case-intake", "/cases"): ("filing", N_("Too many cases filed from this address; please wait.")),
    ("case-intake", "/photos"): ("photos", N_("Too many photos sent from this address; please wait.")),
    ("case-intake", "/recordings"): ("photos", N_("Too many voice recordings sent from this address; please wait.")),
}
"""POSTs the gateway limits per client address (429): (segment, path) -> (the limit in Limits, the detail)."""

DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; media-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class GatewaySettings(Settings, SmsSettings):
    """The gateway's settings; those of its text messages (SMS_SIGNATURE, SMS_DEV_FILE, ALIYUN_*) are
    shared.sms's, the same names as the notification service's."""

    service_name: str = "gateway"
    token_private_key_file: Path = VAR_DIR / "keys" / "token-signing.pem"
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    pwa_dir: Path = PROJECT_ROOT / "pwa"
    # Each service's base URL, or its replicas' URLs separated by commas (the proxy takes them in turn)
    # grid_url comes from shared Settings (case intake asks the grid service too)
    deputy_url: str = "http://127.0.0.1:8102"
    case_intake_url: str = "http://127.0.0.1:8103"
    station_scheduling_url: str = "http://127.0.0.1:8104"
    micro_funding_url: str = "http://127.0.0.1:8105"
    notification_url: str = "http://127.0.0.1:8106"
    proxy_timeout_seconds: float = 15.0
    upload_timeout_seconds: float = 300.0  # a streamed upload (a photo, a voice note) on a weak signal, and its answer
    proxy_connect_timeout_seconds: float = 2.0
    max_body_bytes: int = 12 * 1024 * 1024

    # One-time sign-in codes for villagers
    otp_valid_seconds: int = 300
    otp_max_attempts: int = 5
    otp_per_minute: int = 1
    otp_per_hour: int = 5
    # Who texts the code (gateway.identity.senders, through shared.sms): log (development: SMS_DEV_FILE and the
    # log) | aliyun (ALIYUN_ACCESS_KEY_ID/_SECRET, SMS_SIGNATURE, ALIYUN_SMS_TEMPLATES["signin_code"]) | webhook
    otp_sender: str = "log"
    otp_webhook_url: str = ""  # OTP_SENDER=webhook: POST {phone, message} here
    otp_send_timeout_seconds: float = 5.0

    # One-time codes per client address: villagers at a station share one (carrier NAT, station Wi-Fi)
    otp_client_per_minute: int = 10
    otp_client_per_hour: int = 60

    # Rate limits per client address (sliding window of one minute, per gateway process)
    signin_per_minute: int = 60  # every sign-in request; villagers at a station share an address
    filing_per_minute: int = 20
    photos_per_minute: int = 60  # anonymous villagers upload up to three photos and a voice note a case
    tracking_per_minute: int = 30  # reads by tracking code: the tracking view, its photos, live ?track=
    tracking_failures_per_hour: int = 20  # lookups of a code that names no case (guessing)

    # Officials' passwords: wrong passwords (and missing or wrong TOTP codes) in 15 minutes
    password_failures_per_address: int = 20  # from one client address, any account: then 429
    password_failures_per_account_address: int = 5  # for one account from one address: then 429
    password_failures_before_slowdown: int = 5  # for one account from anywhere: then each answer waits
    password_slowdown_max_seconds: float = 8.0  # the wait doubles per failure up to this; never a lock

    # Client addresses: X-Forwarded-For is read only when the peer is one of these (addresses or networks,
    # e.g. 10.0.0.0/8 for the ingress pods); the gateway then passes the client's address to the services
    trusted_proxies: str = ""

    # public_url (the gateway's public address: Open311 discovery, the AsyncAPI document) is in shared Settings:
    # the services print it on documents' QR codes

    # Secrets kept at rest (TOTP secrets, webhook signing secrets) are encrypted with Fernet keys from this
    # file, one a line: the first encrypts, every one decrypts (add a new key on top to rotate).
    # Development makes the file on first use; production mounts it from a secret.
    encryption_keys_file: Path = VAR_DIR / "keys" / "gateway-secrets.key"

    # Browser security
    cors_origins: str = ""  # comma-separated origins; empty = CORS off
    content_security_policy: str = DEFAULT_CSP
    hsts_seconds: int = 31_536_000

    # The merged OpenAPI document, Open311, live updates
    openapi_cache_seconds: float = 30.0
    open311_max_results: int = 1000
    open311_max_days: int = 90
    live_heartbeat_seconds: float = 15.0
    live_queue_size: int = 200

    # Integrators' events: signed webhooks and the event feed (gateway.integrations.webhooks, .feed)
    webhook_allow_loopback: bool = False  # development and tests: http://127.0.0.1 targets; never in production
    webhook_timeout_seconds: float = 10.0
    webhook_max_attempts: int = 10
    webhook_retry_seconds: float = 5.0  # the first retry's wait; each next one waits 3 times longer (to 12 h)
    webhook_poll_seconds: float = 1.0
    integration_events_days: int = 14  # how long the feed keeps events (and the delivery log its rows)

    @model_validator(mode="after")
    def _no_dev_keys_in_production(self) -> "GatewaySettings":
        if self.is_production and self.token_private_key_file.is_relative_to(VAR_DIR):
            raise ValueError("production needs TOKEN_PRIVATE_KEY_FILE outside the development var/ folder")
        if self.is_production and self.encryption_keys_file.is_relative_to(VAR_DIR):
            raise ValueError("production needs ENCRYPTION_KEYS_FILE (from a secret) outside the var/ folder")
        if self.is_production and self.webhook_allow_loopback:
            raise ValueError("WEBHOOK_ALLOW_LOOPBACK is for development and tests only")
        self.trusted_proxy_networks()  # a malformed TRUSTED_PROXIES fails at start, not per request
        if self.otp_sender not in ("log", "aliyun", "webhook"):
            raise ValueError("OTP_SENDER is log, aliyun or webhook")
        if self.otp_sender == "webhook" and not self.otp_webhook_url:
            raise ValueError("OTP_SENDER=webhook needs OTP_WEBHOOK_URL")
        if self.otp_sender == "aliyun" and (problem := self.aliyun_problem([SIGNIN_KIND], self.is_production)):
            raise ValueError(f"OTP_SENDER=aliyun: {problem}")
        if problem := code_text_problem(self.sms_signature):
            raise ValueError(problem)
        if any(not self.service_urls(segment) for segment in SERVICE_PATHS):
            raise ValueError("every <SERVICE>_URL needs at least one URL")
        if self.is_production and self.otp_sender == "log":
            raise ValueError("production needs OTP_SENDER=aliyun or webhook: codes must not go to the log")
        return self

    @property
    def dev_endpoints(self) -> bool:
        """The development-only endpoints (the code outbox) exist only outside production."""
        return not self.is_production

    def service_urls(self, public_segment: str) -> list[str]:
        """A service's replicas: `<SERVICE>_URL` is one base URL, or several separated by commas."""
        name = SERVICE_PATHS.get(public_segment)
        value: str = getattr(self, f"{name}_url") if name else ""
        return [url.strip().rstrip("/") for url in value.split(",") if url.strip()]

    def origins(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """TRUSTED_PROXIES: addresses or networks (CIDR), separated by commas."""
        try:
            return tuple(
                ip_network(item.strip(), strict=False) for item in self.trusted_proxies.split(",") if item.strip()
            )
        except ValueError as error:
            raise ValueError(f"TRUSTED_PROXIES: {error}") from error
