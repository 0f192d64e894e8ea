from pathlib import Path

from pydantic import model_validator

from shared.config import PROJECT_ROOT, VAR_DIR, Settings

SERVICE_PATHS = {
    "grid": "grid",
    "deputy": "deputy",
    "case-intake": "case_intake",
    "station-scheduling": "station_scheduling",
    "micro-funding": "micro_funding",
}
"""Public path segment under /api/ -> service name."""


class GatewaySettings(Settings):
    service_name: str = "gateway"
    token_private_key_file: Path = VAR_DIR / "keys" / "token-signing.pem"
    access_token_minutes: int = 15
    pwa_dir: Path = PROJECT_ROOT / "pwa"
    grid_url: str = "http://127.0.0.1:8101"
    deputy_url: str = "http://127.0.0.1:8102"
    case_intake_url: str = "http://127.0.0.1:8103"
    station_scheduling_url: str = "http://127.0.0.1:8104"
    micro_funding_url: str = "http://127.0.0.1:8105"
    proxy_timeout_seconds: float = 15.0
    max_body_bytes: int = 12 * 1024 * 1024

    @model_validator(mode="after")
    def _no_dev_keys_in_production(self) -> "GatewaySettings":
        if self.is_production and self.token_private_key_file.is_relative_to(VAR_DIR):
            raise ValueError("production needs TOKEN_PRIVATE_KEY_FILE outside the development var/ folder")
        return self

    def service_url(self, public_segment: str) -> str | None:
        name = SERVICE_PATHS.get(public_segment)
        return getattr(self, f"{name}_url") if name else None
