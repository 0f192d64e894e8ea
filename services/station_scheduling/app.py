from fastapi import FastAPI

from services.station_scheduling.api import routers
from services.station_scheduling.events import SUBSCRIPTIONS
from services.station_scheduling.logic.retention import run_retention
from services.station_scheduling.models import tables
from services.station_scheduling.runtime import StationRuntime
from shared.config import Settings
from shared.service import create_service_app

NAME = "station_scheduling"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service_name=NAME)
    runtime = StationRuntime(
        settings, tables, source="/station-scheduling", subscriptions=SUBSCRIPTIONS, background=[run_retention]
    )
    return create_service_app(
        runtime,
        title="Station scheduling service",
        routers=routers,
        description="Liaison stations organised 1+4+N: main, township and area.",
    )
