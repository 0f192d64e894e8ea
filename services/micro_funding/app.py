from fastapi import FastAPI

from services.micro_funding.api import routers
from services.micro_funding.events import SUBSCRIPTIONS
from services.micro_funding.models import tables
from services.micro_funding.policy import ObjectionLimits
from shared.config import Settings
from shared.service import ServiceRuntime, create_service_app

NAME = "micro_funding"


def create_app(settings: Settings | None = None, limits: ObjectionLimits | None = None) -> FastAPI:
    settings = settings or Settings(service_name=NAME)
    runtime = ServiceRuntime(settings, tables, source="/micro-funding", subscriptions=SUBSCRIPTIONS)
    app = create_service_app(
        runtime,
        title="Micro-funding service",
        routers=routers,
        description="Yearly fund pools for livelihood micro-projects, in yuan.",
    )
    app.state.objection_limits = limits or ObjectionLimits()
    return app
