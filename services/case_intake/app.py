from fastapi import FastAPI

from services.case_intake.api import router
from services.case_intake.events import SUBSCRIPTIONS
from services.case_intake.logic.deadlines import run_scheduler
from services.case_intake.logic.retention import run_retention
from services.case_intake.models import tables
from services.case_intake.policy import CasePolicy
from services.case_intake.runtime import CaseRuntime
from shared.config import Settings
from shared.service import create_service_app

NAME = "case_intake"


def create_app(settings: Settings | None = None, policy: CasePolicy | None = None) -> FastAPI:
    settings = settings or Settings(service_name=NAME)
    runtime = CaseRuntime(
        settings,
        tables,
        source="/case-intake",
        subscriptions=SUBSCRIPTIONS,
        policy=policy or CasePolicy(),
        background=[run_scheduler, run_retention],
    )
    return create_service_app(
        runtime,
        title="Case intake service",
        routers=[router],
        description=(
            "Villagers' cases (诉求, 矛盾纠纷, 建议, 社情民意): routed to their deputies, handled to a rated end."
        ),
    )
