"""Station rules, one module a topic; plain functions over a database session, no FastAPI in them.

stations · sessions (scheduling and conflicts) · views (how sessions are shown) · bookings (capacity,
waitlist, walk-ins) · records (what was said face to face, and the linked case) · rotas and recurrence ·
feeds (iCalendar) · statistics · projections (deputies, grids and assignments from their events) ·
demo (the reference city's stations).
"""

from services.station_scheduling.logic import (
    bookings,
    feeds,
    projections,
    records,
    rotas,
    sessions,
    stations,
    statistics,
    views,
)

__all__ = [
    "bookings",
    "feeds",
    "projections",
    "records",
    "rotas",
    "sessions",
    "stations",
    "statistics",
    "views",
]
