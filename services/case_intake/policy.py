"""The deadline policy, read from CASE_* environment variables; defaults follow 12345 hotline practice."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CasePolicy(BaseSettings):
    """Working-day deadlines and scheduler timing. Resolve deadlines are per category (see /categories)."""

    model_config = SettingsConfigDict(env_prefix="CASE_", env_file=None, extra="ignore")

    accept_working_days: dict[str, int] = Field(
        default_factory=lambda: {"request": 1, "dispute": 1, "suggestion": 3, "opinion": 3}
    )
    return_working_days: int = Field(2, ge=1, le=30, description="A wrongly assigned case is returned within this")
    referral_working_days: int = Field(10, ge=1, le=60, description="Default time an organisation has to answer")
    max_extension_working_days: int = Field(10, ge=1, le=30, description="The one extension is at most this long")
    reminder_hours: int = Field(8, ge=1, le=72, description="A reminder goes this long before a deadline")
    escalate_head_after: int = Field(2, ge=1, le=30, description="Working days late: to the township grid head")
    escalate_office_after: int = Field(5, ge=1, le=60, description="Working days late: to the NPC office (督办)")
    auto_close_days: int = Field(7, ge=1, le=90, description="A resolution unanswered this many days closes")
    utc_offset_hours: int = Field(8, ge=-12, le=14, description="Local time of the working-day calendar")
    scheduler_seconds: float = Field(60.0, gt=0, le=3600, description="How often the deadline scheduler looks")
    scheduler_batch: int = Field(200, ge=1, le=10_000)

    def accept_days(self, kind: str) -> int:
        return self.accept_working_days.get(kind, 1)
