from fastapi import FastAPI

from services.grid.api import router
from services.grid.events import SUBSCRIPTIONS
from services.grid.models import tables
from shared.config import Settings
from shared.service import ServiceRuntime, create_service_app

NAME = "grid"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service_name=NAME)
    runtime = ServiceRuntime(settings, tables, source="/grid", subscriptions=SUBSCRIPTIONS)
    return create_service_app(
        runtime,
        title="Grid service",
        routers=[router],
        description="The three-level grid (乡镇 / 村社 / 村小组) and deputy assignments.",
    )
