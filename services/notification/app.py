from fastapi import FastAPI

from services.notification.api import routers
from services.notification.events import SUBSCRIPTIONS
from services.notification.logic.erasure import run_retention
from services.notification.logic.scheduling import run_scheduler
from services.notification.logic.sending import run_sender
from services.notification.models import tables
from services.notification.policy import NotificationPolicy
from services.notification.runtime import NotificationRuntime
from shared.config import Settings
from shared.service import create_service_app

NAME = "notification"


def create_app(settings: Settings | None = None, policy: NotificationPolicy | None = None) -> FastAPI:
    settings = settings or Settings(service_name=NAME)
    runtime = NotificationRuntime(
        settings,
        tables,
        source="/notification",
        subscriptions=SUBSCRIPTIONS,
        policy=policy or NotificationPolicy(environment=settings.environment),
        background=[run_sender, run_scheduler, run_retention],
    )
    return create_service_app(
        runtime,
        title="Notification service",
        routers=routers,
        description=(
            "Reaches people: Web Push to deputies' and villagers' devices and SMS, once per event, recipient and "
            "channel, in their language, outside quiet hours."
        ),
    )
