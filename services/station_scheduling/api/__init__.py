"""Routes only: parse, authorise, call the use cases in logic, shape the answer with views.

stations (and their statistics) · calendars (iCalendar feeds) · sessions · bookings · records · rotas ·
exports (spreadsheets) · documents (a session's notice, the groups' QR posters) · personal (the caller's own
data).
"""

from fastapi import APIRouter

from services.station_scheduling.api import (
    audit,
    bookings,
    calendars,
    documents,
    exports,
    personal,
    records,
    rotas,
    sessions,
    stations,
)

routers: list[APIRouter] = [
    stations.router,
    calendars.router,
    sessions.router,
    bookings.router,
    records.router,
    rotas.router,
    exports.router,
    documents.router,
    audit.router,
    personal.router,
]
