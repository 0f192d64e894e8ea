"""Calendar feeds (iCalendar) a phone subscribes to: a station's sessions, a deputy's duty."""

from fastapi import APIRouter, Response

from services.station_scheduling.logic.deputies import get_deputy
from services.station_scheduling.logic.stations import get_station
from services.station_scheduling.views import feeds
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.types import EntityId

router = APIRouter(tags=["station"])
ICS = {
    200: {"description": "An iCalendar feed (RFC 5545)", "content": {"text/calendar": {"schema": {"type": "string"}}}}
}
CALENDAR = "text/calendar; charset=utf-8"


@router.get(
    "/stations/{station_id}/calendar.ics",
    operation_id="station-calendar",
    response_class=Response,
    responses={**ICS, **responses(404, 422)},
)
async def station_calendar(station_id: EntityId, db: SessionDep, runtime: RuntimeDep) -> Response:
    station = await get_station(db, station_id)
    return Response(await feeds.station_feed(db, runtime.clock.now(), station), media_type=CALENDAR)


@router.get(
    "/deputies/{deputy_id}/calendar.ics",
    operation_id="deputy-calendar",
    response_class=Response,
    responses={**ICS, **responses(404, 422)},
)
async def deputy_calendar(deputy_id: EntityId, db: SessionDep, runtime: RuntimeDep) -> Response:
    deputy = await get_deputy(db, deputy_id)
    return Response(await feeds.deputy_feed(db, runtime.clock.now(), deputy), media_type=CALENDAR)
