"""Routes only: parse, authorise, call the use cases in logic, shape the answer with views.

stations (and their statistics) · calendars (iCalendar feeds) · sessions · bookings · records · rotas ·
documents (a session's notice, the groups' QR posters).
"""

from fastapi import APIRouter

from services.station_scheduling.api import audit, bookings, calendars, documents, records, rotas, sessions, stations

routers: list[APIRouter] = [
    stations.router,
    calendars.router,
    sessions.router,
    bookings.router,
    records.router,
    rotas.router,
    documents.router,
    audit.router,
]
