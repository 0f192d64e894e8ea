"""The case service's process: the shared runtime plus its deadline policy, its reference data cache and its
background tasks."""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.workdays import WorkCalendar
from services.case_intake.models import Category, Holiday
from services.case_intake.places import GridLocator
from services.case_intake.policy import CasePolicy
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CategoryRule:
    """What filing needs of a category, detached from any session."""

    code: str
    active: bool
    kinds: frozenset[str]
    resolve_working_days: int
    urgent: bool


class ReferenceCache:
    """Categories and the holiday calendar in process memory: read on every filing, changed a few times a year.

    This replica's own writes call `invalidate` (after their commit); another replica's are seen once `ttl`
    seconds have passed. A load that raced an invalidation is used once but not kept.
    """

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._generation = 0
        self._categories: tuple[float, Mapping[str, CategoryRule]] | None = None
        self._holidays: tuple[float, Mapping[date, bool]] | None = None

    def invalidate(self) -> None:
        self._generation += 1
        self._categories = self._holidays = None

    def _fresh(self, entry: tuple[float, object] | None) -> bool:
        return entry is not None and time.monotonic() - entry[0] < self.ttl

    async def categories(self, session: AsyncSession) -> Mapping[str, CategoryRule]:
        if self._categories is not None and self._fresh(self._categories):
            return self._categories[1]
        generation, loaded_at = self._generation, time.monotonic()
        query = select(Category.code, Category.active, Category.kinds, Category.resolve_working_days, Category.urgent)
        rules = MappingProxyType(
            {
                row.code: CategoryRule(row.code, row.active, frozenset(row.kinds), row.resolve_working_days, row.urgent)
                for row in (await session.execute(query)).all()
            }
        )
        if generation == self._generation:
            self._categories = (loaded_at, rules)
        return rules

    async def category(self, session: AsyncSession, code: str) -> CategoryRule | None:
        return (await self.categories(session)).get(code)

    async def holidays(self, session: AsyncSession) -> Mapping[date, bool]:
        if self._holidays is not None and self._fresh(self._holidays):
            return self._holidays[1]
        generation, loaded_at = self._generation, time.monotonic()
        rows = (await session.execute(select(Holiday.day, Holiday.working))).all()
        overrides = MappingProxyType({row.day: row.working for row in rows})
        if generation == self._generation:
            self._holidays = (loaded_at, overrides)
        return overrides

    async def calendar(self, session: AsyncSession) -> WorkCalendar:
        """The working-day calendar in Beijing time (shared.clock.CHINA)."""
        return WorkCalendar(await self.holidays(session))


class FailedLookups:
    """Look-ups by tracking code that found nothing — a mistyped code, or someone guessing — counted by kind
    (`track`: the tracking view and the anonymous filer's actions; `photo`: a photo or voice note read with a
    code) since the process started, each one logged. Read them in /readyz's `counters`; the per-address limit
    (429) is the gateway's."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def failed(self, kind: str) -> None:
        self.counts[kind] += 1
        log.warning("tracking code look-up failed (%s): %d since start", kind, self.counts[kind])


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
        self.failed_lookups = FailedLookups()

    def counters(self) -> dict[str, int]:
        return {f"failed_code_lookups_{kind}": self.failed_lookups.counts[kind] for kind in ("track", "photo")}

    async def start(self) -> None:
        await super().start()
        self._tasks += [asyncio.create_task(task(self), name=f"case-{task.__name__}") for task in self.background]

    async def stop(self) -> None:
        await super().stop()
        await self.locator.close()
