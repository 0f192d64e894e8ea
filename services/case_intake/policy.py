"""The deadline policy, read from CASE_* environment variables; defaults follow 12345 hotline practice."""

from datetime import UTC, datetime, timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.case_intake.domain.workdays import WorkCalendar


class CasePolicy(BaseSettings):
    """Working-day deadlines and scheduler timing. Resolve deadlines are per category (see /categories).

    An urgent case (a safety hazard: marked so by staff or a deputy filing it, or by its category) runs on
    clock hours instead: accepted within 2 hours, resolved within 24, chased and escalated hours after.
    """

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
    scheduler_seconds: float = Field(60.0, gt=0, le=3600, description="How often the deadline scheduler looks")
    scheduler_batch: int = Field(200, ge=1, le=10_000)
    retention_sweep_seconds: float = Field(
        3600.0, gt=0, le=86_400, description="How often finished cases past PERSONAL_DATA_RETENTION_DAYS are swept"
    )
    grid_timeout_seconds: float = Field(3.0, gt=0, le=30, description="How long a point's grid look-up may take")
    max_point_distance_m: float = Field(
        5000, gt=0, description="A point farther than this from every grid is refused: the filer chooses the grid"
    )

    urgent_accept_hours: int = Field(2, ge=1, le=72, description="An urgent case is accepted within this")
    urgent_resolve_hours: int = Field(24, ge=1, le=240, description="An urgent case is resolved within this")
    urgent_reminder_minutes: int = Field(30, ge=1, le=600, description="A reminder this long before an urgent due")
    urgent_escalate_head_hours: int = Field(2, ge=1, le=72, description="Hours late: to the township grid head")
    urgent_escalate_office_hours: int = Field(4, ge=1, le=240, description="Hours late: to the NPC office")
    unattached_photo_days: int = Field(7, ge=1, le=90, description="An upload no case took is deleted after this")
    anonymous_supports_per_hour: int = Field(
        5, ge=1, le=1000, description='"Me too" without an account: at most this many a case an hour (then 429)'
    )
    publish_v1_events: bool = Field(
        False,
        description="Also publish case.case.submitted.v1 and assigned.v1 (the villager's words in `summary`) "
        "beside their v2, for an outside integrator still reading v1; no service of the system reads them",
    )
    return_visit_days: int = Field(
        2, ge=0, le=60, description="A resolution the villager has not rated after this many days is due a 回访"
    )

    def accept_days(self, kind: str) -> int:
        return self.accept_working_days.get(kind, 1)

    def due_times(
        self, days: WorkCalendar, start: datetime, *, kind: str, resolve_working_days: int, urgent: bool
    ) -> tuple[datetime, datetime]:
        """The accept and resolve deadlines of a case whose clocks start at `start`."""
        if urgent:
            start = start.astimezone(UTC)
            return start + timedelta(hours=self.urgent_accept_hours), start + timedelta(hours=self.urgent_resolve_hours)
        return (
            days.add_working_days(start, self.accept_days(kind)),
            days.add_working_days(start, resolve_working_days),
        )

    def reminder_before(self, urgent: bool) -> timedelta:
        return timedelta(minutes=self.urgent_reminder_minutes) if urgent else timedelta(hours=self.reminder_hours)

    def escalation_times(self, days: WorkCalendar, due_at: datetime, urgent: bool) -> tuple[datetime, datetime]:
        """When a late deadline goes to the township grid head, and when to the NPC office."""
        if urgent:
            return (
                due_at + timedelta(hours=self.urgent_escalate_head_hours),
                due_at + timedelta(hours=self.urgent_escalate_office_hours),
            )
        return (
            days.after_deadline(due_at, self.escalate_head_after),
            days.after_deadline(due_at, self.escalate_office_after),
        )
