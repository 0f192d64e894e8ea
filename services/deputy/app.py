from fastapi import FastAPI

from services.deputy.api import router
from services.deputy.events import SUBSCRIPTIONS
from services.deputy.models import tables
from shared.config import Settings
from shared.service import ServiceRuntime, create_service_app

NAME = "deputy"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service_name=NAME)
    runtime = ServiceRuntime(settings, tables, source="/deputy", subscriptions=SUBSCRIPTIONS)
    return create_service_app(
        runtime,
        title="Deputy service",
        routers=[router],
        description="Deputies, their record of duty (履职档案) and their inbox of cases.",
    )
