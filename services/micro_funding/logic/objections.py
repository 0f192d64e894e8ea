"""Objections during the public notice: raised under a real name (a villager signed in with their phone number;
the objector is never shown), limited per account and client address; ruled on by the NPC office, one at a time
or many in one request — upheld (the project goes back to its deputy's draft) or dismissed."""

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.domain import stages
from services.micro_funding.domain.objections import (
    ACCOUNT_WINDOW,
    ADDRESS_WINDOW,
    RULED,
    ruling_needed,
    seconds_until_free,
)
from services.micro_funding.logic.projects import get_project, refuse_proposer, take_step
from services.micro_funding.models import Objection, Project
from services.micro_funding.policy import ObjectionLimits
from services.micro_funding.schemas import ObjectionCreate, ObjectionRuling, ObjectionRulings
from shared import audit, i18n
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, NotFound, TooManyRequests
from shared.messaging.catalogue import ObjectionRaised
from shared.service import ServiceRuntime

ONE_PENDING = "You already have an objection pending on this project; the NPC office will rule on it first."
REAL_NAME = "Objections to a public notice are made under a real name: sign in with your phone number."


async def _within_limit(
    session: AsyncSession, column: object, value: str, since: datetime, limit: int
) -> datetime | None:
    """The oldest objection counted when `value` has raised `limit` or more since `since`, else None."""
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(Objection.raised_at)).where(column == value, Objection.raised_at > since)
        )
    ).one()
    return oldest if count >= limit else None


async def _check_limits(
    session: AsyncSession, objector: str, address: str, now: datetime, limits: ObjectionLimits
) -> None:
    """429 with Retry-After when the account or the client address has raised its share of objections."""
    per_account, per_address = limits.objections_per_account_per_day, limits.objections_per_address_per_hour
    oldest = await _within_limit(session, Objection.objector, objector, now - ACCOUNT_WINDOW, per_account)
    if oldest is not None:
        raise TooManyRequests(
            "An account may raise {per_account} objections in 24 hours.",
            params={"per_account": per_account},
            retry_after=seconds_until_free(oldest, ACCOUNT_WINDOW, now),
        )
    oldest = await _within_limit(session, Objection.address, address, now - ADDRESS_WINDOW, per_address)
    if oldest is not None:
        raise TooManyRequests(
            "At most {per_address} objections an hour are taken from one address.",
            params={"per_address": per_address},
            retry_after=seconds_until_free(oldest, ADDRESS_WINDOW, now),
        )


async def raise_objection(
    session: AsyncSession,
    runtime: ServiceRuntime,
    principal: Principal,
    project_id: str,
    data: ObjectionCreate,
    *,
    address: str,
    limits: ObjectionLimits,
) -> Objection:
    """A villager signed in with their phone number objects during the public notice; the objector is never
    shown. One pending objection per account and project; a few a day per account, a few dozen an hour per
    client address."""
    if not principal.has(Role.villager):
        raise Forbidden(REAL_NAME)
    project = await get_project(session, project_id, lock=True)
    now = runtime.clock.now()
    stages.check_objection_open(project.status, project.notice_ends_at, now)
    objector = principal.subject[:64]
    pending = select(Objection.id).where(
        Objection.project_id == project.id, Objection.objector == objector, Objection.status == "pending"
    )
    if await session.scalar(pending):
        raise Conflict(ONE_PENDING)
    await _check_limits(session, objector, address, now, limits)
    objection = Objection(
        id=str(uuid.uuid4()),
        project_id=project.id,
        text=data.text,
        objector=objector,
        address=address[:64],
        status="pending",
        ruling=None,
        ruled_by=None,
        raised_at=now,
        ruled_at=None,
    )
    session.add(objection)
    try:
        await session.flush()
    except IntegrityError as error:  # a twin request got there first (the partial unique index)
        raise Conflict(ONE_PENDING) from error
    raised = ObjectionRaised(objection_id=objection.id, project_id=project.id, at=now)
    await runtime.emit(session, raised, subject=project.id)  # the office is told (ids only: never who, nor the words)
    return objection


async def _rule(
    session: AsyncSession,
    objection: Objection,
    data: ObjectionRuling | ObjectionRulings,
    principal: Principal,
    now: datetime,
) -> None:
    objection.status, objection.ruling, objection.ruled_at = RULED[data.upheld], data.note, now
    objection.ruled_by = principal.subject[:64]
    detail = {"project_id": objection.project_id, "upheld": data.upheld}
    await audit.record(session, principal, "funding.objection.rule", "objection", objection.id, **detail)


async def _send_back(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project: Project, note: str, now: datetime
) -> None:
    """An upheld objection sends the project back to its deputy's draft; the other pending ones are closed."""
    await take_step(session, runtime, principal, project, "return", note)
    project.status_reason, project.notice_ends_at = note, None
    pending = await session.execute(
        select(Objection).where(Objection.project_id == project.id, Objection.status == "pending")
    )
    for other in pending.scalars():
        other.status, other.ruling, other.ruled_at = "closed", "The project went back to its deputy's draft.", now
        other.ruled_by = principal.subject[:64]


async def _ruled_project(session: AsyncSession, principal: Principal, project_id: str) -> Project:
    """The project, locked, when the caller is the NPC office and did not propose it."""
    principal.require(Role.npc_office)
    project = await get_project(session, project_id, lock=True)
    refuse_proposer("rule", principal, project)
    return project


async def rule_objection(
    session: AsyncSession,
    runtime: ServiceRuntime,
    principal: Principal,
    project_id: str,
    objection_id: str,
    data: ObjectionRuling,
) -> Objection:
    """The NPC office upholds an objection (the project goes back to draft) or dismisses it."""
    project = await _ruled_project(session, principal, project_id)
    objection = await session.get(Objection, objection_id)
    if objection is None or objection.project_id != project.id:
        raise NotFound(
            "No objection {objection_id} to project {project_id}.",
            params={"objection_id": objection_id, "project_id": project_id},
        )
    if objection.status != "pending":
        raise Conflict(
            "This objection was already {status}.", params={"status": i18n.code("objection", objection.status)}
        )
    now = runtime.clock.now()
    await _rule(session, objection, data, principal, now)
    if data.upheld:
        await _send_back(session, runtime, principal, project, data.note, now)
    await session.flush()
    return objection


async def rule_objections(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: ObjectionRulings
) -> tuple[list[Objection], int]:
    """The NPC office rules on several objections to one project at once, with one note: (the objections in the
    order asked, how many were ruled now). Objections already ruled the same way are left as they are (sending
    the same request again changes nothing); one ruled otherwise, or closed, is a 409 and nothing changes; an id
    that is no objection to this project a 404. Each ruling is kept as a single ruling is (status, note, time,
    the office account); upheld, the project goes back to draft once."""
    project = await _ruled_project(session, principal, project_id)
    rows = await session.execute(
        select(Objection).where(Objection.id.in_(data.objection_ids), Objection.project_id == project.id)
    )
    found = {objection.id: objection for objection in rows.scalars()}
    missing = [objection_id for objection_id in data.objection_ids if objection_id not in found]
    if missing:
        raise NotFound(
            "No objection {missing} to project {project_id}.",
            params={"missing": ", ".join(missing), "project_id": project_id},
        )
    try:
        due = [found[key] for key in data.objection_ids if ruling_needed(found[key].status, data.upheld)]
    except ValueError as status:
        raise Conflict(
            "An objection in the list was already {status}; nothing was ruled.",
            params={"status": i18n.code("objection", status)},
        ) from None
    now = runtime.clock.now()
    for objection in due:
        await _rule(session, objection, data, principal, now)
    if data.upheld and due:
        await _send_back(session, runtime, principal, project, data.note, now)
    await session.flush()
    return [found[key] for key in data.objection_ids], len(due)
