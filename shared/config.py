"""Settings read from the environment (pydantic-settings), one object per process."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"
DEV_PUBLIC_KEY = VAR_DIR / "keys" / "token-signing.pub.pem"

SERVICES = ("grid", "deputy", "case_intake", "station_scheduling", "micro_funding", "notification")
"""The six services, in the order `make run` migrates and starts them. The one list: migrations, the
supervisor, the gateway's routing, the Kubernetes renderer and the PWA's offline queue all read it."""
SERVICE_PACKAGES = {**{name: f"services.{name}" for name in SERVICES}, "gateway": "gateway"}
"""Process name -> its Python package (each has `app:create_app` and `migrations/`)."""
SERVICE_PATHS = {name.replace("_", "-"): name for name in SERVICES}
"""Public path segment under /api/ -> service name (`/api/case-intake/...` -> case_intake)."""

Environment = Literal["development", "production"]
"""Exactly these two: any other spelling (`Production`, `prod`, `staging`) refuses to start, so a typo can never
fall back to development mode and its development-only routes."""


class Settings(BaseSettings):
    """Settings of one service process. Every field can be set by an environment variable of its name."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    environment: Environment = "development"
    service_name: str = "service"
    database_url: str = ""
    database_schema: str | None = None
    nats_url: str = "nats://127.0.0.1:4222"
    """One server or several separated by commas; credentials come from NATS_USER/NATS_PASSWORD."""
    nats_user: str = ""
    """This process's own NATS user (its subject permissions: shared.messaging.permissions)."""
    nats_password: SecretStr = SecretStr("")
    nats_tls_ca_file: Path | None = None
    """When set, NATS connections start with TLS (before any byte of the protocol) and verify the servers'
    certificates against this CA: production requires it."""
    nats_stream_replicas: int = 1
    token_public_key_file: Path = DEV_PUBLIC_KEY
    token_issuer: str = "deputies-in-the-grid"
    relay_poll_seconds: float = 5.0
    """How often the outbox relay sweeps its table for rows no commit of this process handed it (another process's,
    a crashed one's): a commit here wakes the relay at once, so this is only the safety net."""
    consumer_max_deliver: int = 5
    consumer_nak_delay_seconds: float = 0.5
    consumer_linger_seconds: float = 0.03
    """Under a steady flow of events, a consumer waits this long after each batch, so that the next ones are applied
    together in one transaction (an event that comes alone is applied at once)."""
    consumer_fetch_seconds: float = 5.0
    """How long a consumer's fetch waits for an event (it returns as soon as one arrives): at rest, each consumer
    asks once in this long."""
    log_level: str = "INFO"
    trusted_proxies: str = "127.0.0.1,::1"
    """Addresses or networks (comma-separated, e.g. `10.0.0.0/8`) whose X-Forwarded-For is believed: the
    services' only peer is the gateway, which sends the client's address there. From any other peer the peer's
    own address is the client's (the audit log's `client`)."""
    personal_data_retention_days: int = Field(1095, ge=30)
    """How long contact data (names, phone numbers), photos and exact points of finished matters are kept: a case
    closed (or withdrawn, rejected, merged) this many days ago, a booking of a session that ended, a message's
    phone number. After that a sweep (hourly) removes them; the anonymised facts the figures count stay."""
    public_url: str = "http://127.0.0.1:8000"
    """The public address of the gateway (the PWA and the API behind it): the links printed documents carry (a
    poster's QR code opens `PUBLIC_URL/file?grid=…`), Open311 discovery, the AsyncAPI document. https in
    production."""
    document_issuer: str = "人大常委会代表工委"
    """Who printed documents come from (their running head and signature): e.g. 韶山市人大常委会代表工委."""
    grid_url: str = "http://127.0.0.1:8101"
    """The grid service, for the services that ask it something directly (case intake resolves points)."""

    @model_validator(mode="after")
    def _checked(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{VAR_DIR / (self.service_name + '.db')}"
        if self.nats_user and not self.nats_password.get_secret_value():
            raise ValueError("NATS_USER needs NATS_PASSWORD")
        if self.is_production:
            self._refuse_development_parts()
        return self

    def _refuse_development_parts(self) -> None:
        if self.database_url.startswith("sqlite"):
            raise ValueError("production needs DATABASE_URL to name a PostgreSQL database")
        if self.token_public_key_file.resolve().is_relative_to(VAR_DIR):
            raise ValueError("production needs TOKEN_PUBLIC_KEY_FILE outside the development var/ folder")
        if self.nats_tls_ca_file is None:
            raise ValueError("production needs NATS_TLS_CA_FILE: the bus is reached over TLS only")
        if not self.public_url.startswith("https://"):
            raise ValueError("production needs PUBLIC_URL, the gateway's https:// address (documents link to it)")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"
