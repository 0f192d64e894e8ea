"""The case service's process: the shared runtime plus its deadline policy and its background tasks."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from services.case_intake.policy import CasePolicy
from shared.service import ServiceRuntime


class CaseRuntime(ServiceRuntime):
    """Adds the deadline policy and lifespan tasks (the deadline scheduler) to the common runtime."""

    def __init__(
        self,
        *args: Any,
        policy: CasePolicy | None = None,
        background: Sequence[Callable[["CaseRuntime"], Awaitable[None]]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy or CasePolicy()
        self.background = list(background)

    async def start(self) -> None:
        await super().start()
        self._tasks += [asyncio.create_task(task(self), name=f"case-{task.__name__}") for task in self.background]
