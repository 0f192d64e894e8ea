"""Settings read from the environment (pydantic-settings), one object per process."""

from pathlib import Path

from pydantic import model_validator
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


class Settings(BaseSettings):
    """Settings of one service process. Every field can be set by an environment variable of its name."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    environment: str = "development"
    service_name: str = "service"
    database_url: str = ""
    database_schema: str | None = None
    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream_replicas: int = 1
    token_public_key_file: Path = DEV_PUBLIC_KEY
    token_issuer: str = "deputies-in-the-grid"
    relay_poll_seconds: float = 0.5
    consumer_max_deliver: int = 5
    consumer_nak_delay_seconds: float = 0.5
    consumer_linger_seconds: float = 0.005  # under load, events gather for this long into one batch
    log_level: str = "INFO"
    grid_url: str = "http://127.0.0.1:8101"
    """The grid service, for the services that ask it something directly (case intake resolves points)."""

    @model_validator(mode="after")
    def _default_database(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{VAR_DIR / (self.service_name + '.db')}"
        if self.environment == "production" and self.database_url.startswith("sqlite"):
            raise ValueError("production needs DATABASE_URL to name a PostgreSQL database")
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"
