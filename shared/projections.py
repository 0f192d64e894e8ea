"""One base for every service's copy of another service's facts (a projection fed by events).

A projection row keeps the `version` of the event that wrote it; `upsert_newer` writes a row only when its
version is not older than the stored one, so a redelivered or late event never overwrites a newer one and
out-of-order delivery converges on the latest state. The grid tree is projected by four services and the
deputies by two; they all use `KnownGridColumns`/`project_grid` and `KnownDeputyColumns`/`project_deputy`, so the
copies cannot drift.
"""

from typing import Any

from sqlalchemy import String, Table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import upsert_newer
from shared.messaging.catalogue import (
    DeputyRegistered,
    DeputyRetired,
    DeputyUpdated,
    GridChanged,
    GridCreated,
    GridRetired,
)

GRID_CREATED_VERSION = 1
"""A grid is created at version 1; every change or retirement carries the next version."""


class KnownGridColumns:
    """Columns of a projection of `grid.grid.*` events (mix into a service's declarative model)."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(default=GRID_CREATED_VERSION)


def grid_row(payload: GridCreated | GridChanged | GridRetired) -> dict[str, Any]:
    """The projection row an event describes, and which of its columns the event may change."""
    if isinstance(payload, GridRetired):
        name = payload.code  # a retirement carries no name; kept only if the grid was never seen before
        status, version = "retired", payload.version
    else:
        name, status = payload.name, "active"
        version = payload.version if isinstance(payload, GridChanged) else GRID_CREATED_VERSION
    return {
        "id": payload.grid_id,
        "code": payload.code,
        "name": name,
        "level": payload.level,
        "parent_id": payload.parent_id,
        "status": status,
        "version": version,
    }


async def project_grid(
    session: AsyncSession, table: Table, payload: GridCreated | GridChanged | GridRetired, **extra: Any
) -> None:
    """Apply one grid event to `table` (a `KnownGridColumns` model's table), dropping it if it is stale.

    `extra` are the service's own columns derived from the event (set on insert and on every newer event)."""
    row = {**grid_row(payload), **extra}
    changes = [name for name in row if name not in ("id", "version")]
    if isinstance(payload, GridRetired):
        changes.remove("name")
    await upsert_newer(session, table, [row], changes=changes, stamp="version")


DEPUTY_REGISTERED_VERSION = 0
"""A deputy is registered at version 0; every update or retirement carries a later version."""


class KnownDeputyColumns:
    """Columns of a projection of `deputy.deputy.*` events (mix into a service's declarative model)."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(default=DEPUTY_REGISTERED_VERSION)


def deputy_row(payload: DeputyRegistered | DeputyUpdated | DeputyRetired) -> dict[str, Any]:
    """The projection row an event describes (a retirement carries no name or level: kept if known)."""
    if isinstance(payload, DeputyRetired):
        return {
            "id": payload.deputy_id,
            "code": payload.code,
            "name": payload.code,
            "level": "",
            "status": "retired",
            "version": payload.version,
        }
    row = {"id": payload.deputy_id, "code": payload.code, "name": payload.name, "level": payload.level}
    if isinstance(payload, DeputyUpdated):
        return {**row, "status": payload.status, "version": payload.version}
    return {**row, "status": "active", "version": DEPUTY_REGISTERED_VERSION}


async def project_deputy(
    session: AsyncSession, table: Table, payload: DeputyRegistered | DeputyUpdated | DeputyRetired, **extra: Any
) -> None:
    """Apply one deputy event to `table` (a `KnownDeputyColumns` model's table), dropping it if it is stale.

    `extra` are the service's own columns taken from the event (set on insert and on every newer event); a
    retirement changes only the status (its `extra` are the values a deputy never seen before is stored with)."""
    row = {**deputy_row(payload), **extra}
    changes = [name for name in row if name not in ("id", "version")]
    if isinstance(payload, DeputyRetired):
        changes = ["status"]
    await upsert_newer(session, table, [row], changes=changes, stamp="version")
