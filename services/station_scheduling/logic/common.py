"""What the station rules share: the local time zone, the clock, masking and redaction of personal data."""

import json
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.models import ReceptionSession
from shared.errors import NotFound
from shared.service import ServiceRuntime

SHANGHAI = ZoneInfo("Asia/Shanghai")
ACTIVE_BOOKINGS = ("confirmed", "waitlisted")
PLACE_TAKEN = ("confirmed", "attended")
_DIGIT_RUN = re.compile(r"(?:\d[\s-]?){6,}\d")


def now(runtime: ServiceRuntime) -> datetime:
    return runtime.clock.now()


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def local_label(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m-%d %H:%M")


def day_start(day: date) -> datetime:
    """Midnight of a civil day in Asia/Shanghai, as an aware datetime."""
    return datetime.combine(day, time(0), SHANGHAI)


def day_span(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[from 00:00, the day after `to` 00:00) in Asia/Shanghai."""
    return day_start(date_from), day_start(date_to + timedelta(days=1))


def mask_name(name: str | None) -> str | None:
    return name[0] + "*" * max(len(name) - 1, 1) if name else None


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def redact(text: str) -> str:
    """Mask runs of 7 or more digits (phone and identity numbers) in a text meant for public views and events."""
    return _DIGIT_RUN.sub(lambda match: "*" * len(match.group()), text)


def dump(items: list) -> str:
    return json.dumps(items, ensure_ascii=False, default=str)


async def get_reception(db: AsyncSession, session_id: str, *, lock: bool = False) -> ReceptionSession:
    """A reception session; `lock` takes its row lock (PostgreSQL: SELECT ... FOR UPDATE; SQLite writers serialize)."""
    query = select(ReceptionSession).where(ReceptionSession.id == session_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    reception = (await db.execute(query)).scalar_one_or_none()
    if reception is None:
        raise NotFound(f"No reception session {session_id}.")
    return reception
