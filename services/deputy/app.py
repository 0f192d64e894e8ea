from fastapi import FastAPI

from services.deputy.api import router
from services.deputy.events import SUBSCRIPTIONS
from services.deputy.logic.suggestion_deadlines import run_scheduler
from services.deputy.models import tables
from services.deputy.runtime import DeputyRuntime
from shared.config import Settings
from shared.service import create_service_app

NAME = "deputy"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service_name=NAME)
    runtime = DeputyRuntime(settings, tables, source="/deputy", subscriptions=SUBSCRIPTIONS, background=[run_scheduler])
    return create_service_app(
        runtime,
        title="Deputy service",
        routers=[router],
        description=(
            "Deputies, their record of duty (履职档案), their inbox of cases and their suggestions (代表建议)."
        ),
    )
