"""The case service's process: the shared runtime plus its deadline policy and its background tasks."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from services.case_intake.places import GridLocator
from services.case_intake.policy import CasePolicy
from services.case_intake.reference import ReferenceCache
from shared.service import ServiceRuntime


class CaseRuntime(ServiceRuntime):
    """Adds the deadline policy, lifespan tasks (the deadline scheduler), the reference data cache, a bound on
    photos decoded at once (each may take a few hundred MB while it is re-encoded) and the grid look-up."""

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
        self.reference = ReferenceCache()
        self.decoding = asyncio.Semaphore(2)
        self.locator = GridLocator(self.settings.grid_url, self.policy.grid_timeout_seconds)

    async def start(self) -> None:
        await super().start()
        self._tasks += [asyncio.create_task(task(self), name=f"case-{task.__name__}") for task in self.background]

    async def stop(self) -> None:
        await super().stop()
        await self.locator.close()
