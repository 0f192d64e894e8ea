"""The notification service's process: the shared runtime plus its policy, its channels (Web Push with the
VAPID keys, the SMS provider) and the sender, a lifespan task that sends what is due."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from services.notification.channels.sms import provider_for
from services.notification.channels.webpush import VapidKeys, WebPushSender
from services.notification.policy import NotificationPolicy
from shared.service import ServiceRuntime
from shared.sms import SmsProvider

log = logging.getLogger(__name__)


class NotificationRuntime(ServiceRuntime):
    def __init__(
        self,
        *args: Any,
        policy: NotificationPolicy,
        background: Sequence[Callable[["NotificationRuntime"], Awaitable[None]]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.vapid = VapidKeys.load(policy)
        self.webpush = WebPushSender(self.vapid, policy)
        self.sms: SmsProvider = provider_for(policy)
        self.background = list(background)
        self.wake = asyncio.Event()
        """Set when deliveries were decided, so the sender looks at once instead of at its next poll."""

    async def start(self) -> None:
        await super().start()
        self._tasks += [asyncio.create_task(task(self), name=f"notify-{task.__name__}") for task in self.background]

    async def stop(self) -> None:
        await super().stop()
        with contextlib.suppress(Exception):
            await self.webpush.close()
        with contextlib.suppress(Exception):
            await self.sms.close()
