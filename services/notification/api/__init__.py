"""Routes only: parse, authorise, call the use cases in logic, shape the answer with views.

devices (push subscriptions, the VAPID key) · preferences · notifications (a person's list) · office (the
delivery log and figures) · dev (what the development SMS sender "sent")."""

from fastapi import APIRouter

from services.notification.api import dev, devices, notifications, office, preferences

routers: list[APIRouter] = [devices.router, preferences.router, notifications.router, office.router, dev.router]
