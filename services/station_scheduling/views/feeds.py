"""iCalendar feeds (RFC 5545) of a station's sessions and of a deputy's duty, in Asia/Shanghai time.

A feed is what a phone's calendar subscribes to: it carries the sessions from 90 days back to 400 days
ahead (at most FEED_LIMIT), cancelled ones with STATUS:CANCELLED so that calendars drop them.
"""

from datetime import datetime, timedelta

import icalendar
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.station_scheduling.domain.days import local
from services.station_scheduling.models import DutyDeputy, KnownDeputy, ReceptionSession, Station
from services.station_scheduling.schemas import SessionRead
from services.station_scheduling.views.sessions import describe
from shared.clock import CHINA

FEED_LIMIT = 500
PAST = timedelta(days=90)
AHEAD = timedelta(days=400)
PRODID = "-//Deputies in the grid//Station scheduling//ZH"
STATUS = {"scheduled": "CONFIRMED", "held": "CONFIRMED", "cancelled": "CANCELLED"}


async def _sessions(db: AsyncSession, moment: datetime, *conditions: ColumnElement[bool]) -> list[ReceptionSession]:
    query = (
        select(ReceptionSession)
        .where(ReceptionSession.starts_at >= moment - PAST, ReceptionSession.starts_at < moment + AHEAD, *conditions)
        .order_by(ReceptionSession.starts_at, ReceptionSession.id)
        .limit(FEED_LIMIT)
    )
    return list((await db.execute(query)).scalars())


async def station_feed(db: AsyncSession, moment: datetime, station: Station) -> bytes:
    """The station's sessions around `moment` (now), as an iCalendar feed."""
    sessions = await _sessions(db, moment, ReceptionSession.station_id == station.id)
    return await _render(db, moment, station.name, sessions, {station.id: station})


async def deputy_feed(db: AsyncSession, moment: datetime, deputy: KnownDeputy) -> bytes:
    """The sessions a deputy is on duty at around `moment` (now), as an iCalendar feed."""
    on_duty = select(DutyDeputy.session_id).where(DutyDeputy.deputy_id == deputy.id)
    sessions = await _sessions(db, moment, ReceptionSession.id.in_(on_duty))
    stations = {row.id: row for row in (await db.execute(select(Station))).scalars()}
    return await _render(db, moment, f"{deputy.name} 接待值班", sessions, stations)


async def _render(
    db: AsyncSession,
    stamp: datetime,
    name: str,
    sessions: list[ReceptionSession],
    stations: dict[str, Station],
) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", CHINA.key)
    for item in await describe(db, sessions):
        calendar.add_component(_event(item, stations[item.station_id], stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(item: SessionRead, station: Station, stamp: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{item.id}@station-scheduling.deputies-in-the-grid")
    event.add("dtstamp", stamp)
    event.add("dtstart", local(item.starts_at))
    event.add("dtend", local(item.ends_at))
    event.add("summary", f"{station.name}：{item.topic}")
    event.add("location", _location(item, station))
    event.add("description", _description(item))
    event.add("status", STATUS[item.status])
    if item.meeting_url:
        event.add("url", item.meeting_url)
    return event


def _location(item: SessionRead, station: Station) -> str:
    if item.mode == "online":
        return f"线上 {item.meeting_url}"
    return item.place if item.mode == "outside" and item.place else station.address


def _description(item: SessionRead) -> str:
    lines = ["值班代表：" + "、".join(duty.name or duty.deputy_id for duty in item.deputies)]
    if item.agency_staff:
        lines.append("参加单位：" + "、".join(f"{staff.organisation}（{staff.role}）" for staff in item.agency_staff))
    lines.append(f"名额：{item.confirmed}/{item.capacity}")
    if item.cancel_reason:
        lines.append("已取消：" + item.cancel_reason)
    return "\n".join(lines)
