"""The deputy service's process: the shared runtime plus its one background task, the suggestions' deadline
scheduler (logic.suggestion_deadlines), started with the service and stopped with it."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from shared.service import ServiceRuntime


class DeputyRuntime(ServiceRuntime):
    def __init__(
        self, *args: Any, background: Sequence[Callable[[ServiceRuntime], Awaitable[None]]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.background = list(background)

    async def start(self) -> None:
        await super().start()
        self._tasks += [asyncio.create_task(task(self), name=f"deputy-{task.__name__}") for task in self.background]
