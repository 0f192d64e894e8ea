"""The station service's runtime: the shared one, and its lifespan tasks (the hourly retention sweep)."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from shared.service import ServiceRuntime

Task = Callable[[ServiceRuntime], Awaitable[None]]


class StationRuntime(ServiceRuntime):
    """Adds lifespan tasks, started with the relay and consumers and cancelled with them."""

    def __init__(self, *args: Any, background: Sequence[Task] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.background = list(background)

    async def start(self) -> None:
        await super().start()
        self._tasks += [asyncio.create_task(task(self), name=f"station-{task.__name__}") for task in self.background]
