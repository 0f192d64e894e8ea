"""Routes only: parse, authorise, call the use cases in logic, shape the answer with views.

devices (push subscriptions, the VAPID key) · contacts (stopping a villager's SMS) · replies (the provider's
push of SMS replies: a villager's stop) · preferences · notifications
(a person's list) · personal_data (`GET /me/data`) · office (the delivery log and figures) · audit (the office's
audit log) · dev (what the development SMS sender "sent")."""

from fastapi import APIRouter

from services.notification.api import (
    audit,
    contacts,
    dev,
    devices,
    notifications,
    office,
    personal_data,
    preferences,
    replies,
)

routers: list[APIRouter] = [
    devices.router,
    contacts.router,
    replies.router,
    preferences.router,
    notifications.router,
    personal_data.router,
    office.router,
    audit.router,
    dev.router,
]
