from fastapi import FastAPI

from services.case_intake.api import router
from services.case_intake.events import SUBSCRIPTIONS
from services.case_intake.models import tables
from shared.config import Settings
from shared.service import ServiceRuntime, create_service_app

NAME = "case_intake"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service_name=NAME)
    runtime = ServiceRuntime(settings, tables, source="/case-intake", subscriptions=SUBSCRIPTIONS)
    return create_service_app(
        runtime,
        title="Case intake service",
        routers=[router],
        description="Villagers' cases (诉求, 矛盾纠纷, 建议, 社情民意), routed to their deputies.",
    )
