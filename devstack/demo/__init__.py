"""The demo city (韶山市), loaded once through each service's own use cases, flagged as demo data.

`python -m devstack.demo` (make demo-data) migrates the databases under var/ and loads every service's demo
data with a progress bar; `make run` does the same before it starts the processes. Run again, it changes
nothing: each seeder is a no-op when its data is there.
"""

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from importlib import import_module
from pathlib import Path
from typing import Any

from devstack.demo import accounts, deputy, funding, grid, stations
from devstack.demo.progress import ProgressBar
from shared.config import SERVICE_PACKAGES, Settings
from shared.migrations import upgrade

SEEDERS: dict[str, Callable[..., Awaitable[int]]] = {
    "grid": grid.seed,
    "deputy": deputy.seed,
    "station_scheduling": stations.seed,
    "micro_funding": funding.seed,
}
"""Each service's demo loader: `async (session, runtime[, progress=]) -> count`, a no-op when data is there."""


class DemoDataRefused(RuntimeError):
    """The demo city (its sign-ins share one published password) never goes into a production database."""


def refuse_production(settings: Settings) -> None:
    if settings.is_production:
        raise DemoDataRefused("ENVIRONMENT=production: the demo city and its demo sign-ins are not loaded")


async def seed_service(name: str, settings: Settings, *, progress: bool = False) -> int:
    """Load one service's demo data into the database `settings` name (already migrated)."""
    refuse_production(settings)
    seed = SEEDERS[name]
    runtime = import_module(f"{SERVICE_PACKAGES[name]}.app").create_app(settings).state.runtime
    try:
        async with runtime.maker() as session:
            kwargs: dict[str, Any] = {}
            if progress and "progress" in inspect.signature(seed).parameters:
                kwargs["progress"] = ProgressBar(name)
            count = await seed(session, runtime, **kwargs)
            await session.commit()
        return count
    finally:
        await runtime.engine.dispose()


async def seed_accounts(settings: Settings, private_key: Path) -> int:
    """The demo sign-ins (user name = deputy code) in the gateway's database (already migrated)."""
    refuse_production(settings)
    from gateway.settings import GatewaySettings
    from shared.db import create_engine, create_sessionmaker

    gateway = GatewaySettings(
        database_url=settings.database_url, database_schema=settings.database_schema, token_private_key_file=private_key
    )
    engine = create_engine(gateway)
    try:
        async with create_sessionmaker(engine)() as session:
            count = await accounts.seed(session)
            await session.commit()
        return count
    finally:
        await engine.dispose()


async def load(stack: Any, *, migrate: bool = True, progress: bool = False) -> dict[str, int]:
    """Migrate (unless done already) and load every service's demo data into `stack`'s databases, each once."""
    for name in [*SEEDERS, "gateway"]:
        refuse_production(stack.settings_for(name))
    loaded = {}
    for name in SEEDERS:
        if migrate:
            await asyncio.to_thread(upgrade, SERVICE_PACKAGES[name], stack.settings_for(name))
        loaded[name] = await seed_service(name, stack.settings_for(name), progress=progress)
    if migrate:
        await asyncio.to_thread(upgrade, "gateway", stack.settings_for("gateway"))
    loaded["gateway"] = await seed_accounts(stack.settings_for("gateway"), stack.private_key)
    return loaded
