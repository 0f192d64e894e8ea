"""The audit log: every official's action and every read of personal data, one append-only table per service.

One mechanism for every service: the models declare the table with `audit_table(Base.metadata)`, a migration
creates it with `create_audit_table(op)` (with triggers that refuse UPDATE and DELETE, and TRUNCATE on
PostgreSQL: nobody changes or deletes an entry, not even the service itself), a use case calls
`await record(session, principal, "case.merge", "case", case.id, into=...)` in its own transaction, and the
service mounts `audit_router("<segment>")`: `GET /audit` for the NPC office, filtered and paginated.

An entry says who (the token's subject, name, roles, deputy id and organisation), what (a stable dotted code:
`case.merge`, `grid.assignment.start`, `funding.project.approve`, `case.contact.read`), on what (a type and an
id), when, from which address (the request's client, see shared.service.client_address) and the request id.
`detail` holds ids and statuses only: never a secret, never the personal data that was read or written.
"""

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import CurrentPrincipal, Principal, Role
from shared.clock import CHINA
from shared.db import UtcDateTime, new_metadata
from shared.logs import client_var, request_id_var
from shared.pagination import Page, PageDep, PageParams
from shared.problems import responses
from shared.service import SessionDep
from shared.types import CivilDate

TABLE = "audit_log"
APPEND_ONLY_MESSAGE = "the audit log is append-only"
OFFICIAL_ROLES = frozenset(Role) - {Role.villager}
DETAIL_LIMIT = 16_000
"""Characters of an entry's detail (ids of up to a few hundred things); beyond it, `{"truncated": true}`."""


def audit_table(metadata: MetaData) -> Table:
    """The audit log's table in `metadata` (a service's models: `audit_table(Base.metadata)`)."""
    return Table(
        TABLE,
        metadata,
        Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
        Column("id", String(36), nullable=False, unique=True),
        Column("at", UtcDateTime, nullable=False, index=True),
        Column("actor_id", String(64), nullable=False, index=True),
        Column("actor_name", String(120), nullable=False),
        Column("actor_roles", String(200), nullable=False),
        Column("deputy_id", String(36), nullable=True),
        Column("organisation", String(120), nullable=True),
        Column("action", String(80), nullable=False, index=True),
        Column("target_type", String(40), nullable=False),
        Column("target_id", String(64), nullable=True, index=True),
        Column("detail", Text, nullable=False),
        Column("client", String(64), nullable=False),
        Column("request_id", String(64), nullable=True),
    )


_TABLE = audit_table(new_metadata())
"""The same table for the statements below: every service's is called `audit_log` in its own database."""


# --- migrations -----------------------------------------------------------------------------------------------


def create_audit_table(op: Any) -> None:
    """Create the table exactly as `audit_table` declares it, and the triggers that make it append-only, in an
    Alembic migration. A later SQLite batch migration that recreates `audit_log` must call `append_only(op)`
    again (recreating a table drops its triggers)."""
    metadata = new_metadata()
    audit_table(metadata)
    metadata.create_all(op.get_bind())
    append_only(op)


def append_only(op: Any) -> None:
    """Triggers refusing UPDATE and DELETE of every row (and TRUNCATE on PostgreSQL)."""
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{event.lower()} BEFORE {event} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )
        return
    op.execute(
        f"CREATE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()"
    )


def drop_audit_table(op: Any) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS {TABLE}_append_only()")
    op.drop_table(TABLE)


# --- writing --------------------------------------------------------------------------------------------------


def is_official(principal: Principal | None) -> bool:
    """An account acting in an official role (a villager's own actions are not audited)."""
    return principal is not None and bool(principal.roles & OFFICIAL_ROLES)


def _detail(detail: dict[str, Any]) -> str:
    text = json.dumps({key: value for key, value in detail.items() if value is not None}, default=str)
    return text if len(text) <= DETAIL_LIMIT else json.dumps({"truncated": True})


async def record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    target_type: str,
    target_id: str | None,
    **detail: Any,
) -> None:
    """Write one entry in the caller's transaction (it is kept exactly when the action is). `detail`: ids,
    codes and statuses only — never a secret, never the personal data itself. It does not flush the caller's
    pending changes (the entry depends on none of them)."""
    statement = insert(_TABLE).values(
        id=str(uuid.uuid4()),
        at=datetime.now(UTC),
        actor_id=principal.subject[:64],
        actor_name=(principal.name or "")[:120],
        actor_roles=",".join(sorted(principal.roles))[:200],
        deputy_id=principal.deputy_id,
        organisation=principal.organisation[:120] if principal.organisation else None,
        action=action[:80],
        target_type=target_type[:40],
        target_id=target_id[:64] if target_id else None,
        detail=_detail(detail),
        client=(client_var.get() or "unknown")[:64],
        request_id=request_id_var.get(),
    )
    with session.no_autoflush:
        await session.execute(statement)


async def record_read(
    session: AsyncSession,
    principal: Principal,
    action: str,
    target_type: str,
    target_id: str | None,
    **detail: Any,
) -> None:
    """A read of personal data, before it is answered: the reading transaction (a GET's, read-only) ends, the
    entry is written and committed in a transaction of its own. If it cannot be written the read fails."""
    await session.commit()
    await record(session, principal, action, target_type, target_id, **detail)
    await session.commit()


# --- reading --------------------------------------------------------------------------------------------------


class AuditEntryRead(BaseModel):
    """One entry of the audit log."""

    id: str
    at: datetime
    actor_id: str = Field(description="The account (the access token's subject)")
    actor_name: str = Field(description="The account's display name, if its token had one")
    actor_roles: list[str]
    deputy_id: str | None
    organisation: str | None
    action: str = Field(description="A stable dotted code, e.g. case.merge, grid.assignment.start, case.contact.read")
    target_type: str
    target_id: str | None
    detail: dict[str, Any] = Field(description="Ids and statuses of the action; never personal data or a secret")
    client: str = Field(description="The client's address, as the gateway saw it")
    request_id: str | None = Field(description="The X-Request-ID of the request (also in every log line)")


class AuditFilters(BaseModel):
    actor_id: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, CHINA).astimezone(UTC)


async def list_audit(
    session: AsyncSession, filters: AuditFilters, page: PageParams
) -> tuple[list[AuditEntryRead], int]:
    """Entries newest first; `action` matches a code or a prefix of one (`case.` or `case.merge`), dates are
    days in Beijing time, both ends included."""
    query = select(_TABLE)
    for column, value in (
        (_TABLE.c.actor_id, filters.actor_id),
        (_TABLE.c.target_type, filters.target_type),
        (_TABLE.c.target_id, filters.target_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.action:
        query = query.where(_TABLE.c.action.startswith(filters.action, autoescape=True))
    if filters.date_from:
        query = query.where(_TABLE.c.at >= _start_of(filters.date_from))
    if filters.date_to:
        query = query.where(_TABLE.c.at < _start_of(filters.date_to + timedelta(days=1)))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(_TABLE.c.seq.desc()).limit(page.limit).offset(page.offset))
    return [_read(row) for row in rows.mappings()], total


def _read(row: Any) -> AuditEntryRead:
    return AuditEntryRead(
        id=row["id"],
        at=row["at"],
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        actor_roles=[role for role in row["actor_roles"].split(",") if role],
        deputy_id=row["deputy_id"],
        organisation=row["organisation"],
        action=row["action"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        detail=json.loads(row["detail"] or "{}"),
        client=row["client"],
        request_id=row["request_id"],
    )


Filter = Annotated[str | None, Query(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:@-]+$")]


async def audit_filters(
    actor_id: Annotated[Filter, Query(description="The acting account (token subject)")] = None,
    action: Annotated[Filter, Query(description="An action code or its start: `case.` or `case.merge`")] = None,
    target_type: Annotated[Filter, Query(description="What was acted on: case, grid, deputy, project …")] = None,
    target_id: Annotated[Filter, Query(description="Its id")] = None,
    date_from: Annotated[CivilDate | None, Query(description="From this day (Beijing time)")] = None,
    date_to: Annotated[CivilDate | None, Query(description="To this day, included")] = None,
) -> AuditFilters:
    return AuditFilters(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        date_from=date_from,
        date_to=date_to,
    )


def audit_router(segment: str) -> APIRouter:
    """`GET /audit` of a service (operation id `<segment>-audit-list`): the NPC office only."""
    router = APIRouter(tags=["audit"])

    @router.get(
        "/audit",
        operation_id=f"{segment}-audit-list",
        response_model=Page[AuditEntryRead],
        responses=responses(401, 403, 422),
        summary="The audit log",
    )
    async def list_entries(
        session: SessionDep,
        page: PageDep,
        principal: CurrentPrincipal,
        filters: Annotated[AuditFilters, Depends(audit_filters)],
    ) -> Page[AuditEntryRead]:
        """This service's audit log, newest first, for the NPC office: every official's action and every read of
        personal data (who, what, on what, when, from which address, the request id). Append-only."""
        principal.require(Role.npc_office)
        items, total = await list_audit(session, filters, page)
        return Page(items=items, total=total, **page.model_dump())

    return router
