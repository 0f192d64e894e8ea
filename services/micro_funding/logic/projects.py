"""Micro-project rules: drafts checked against the projections, and the one way a project changes stage
(`take_step`: authorise, check the stage, record the step, stage its event).

The stages themselves are taken in `review` (submission to approval, closing), `objections` and `delivery`
(progress, money, ratings). Money moves only through `ledger.post_entry`, with the pool's row locked.
"""

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.domain import stages
from services.micro_funding.domain.money import format_fen
from services.micro_funding.domain.pools import check_budget
from services.micro_funding.domain.proposals import CITABLE_GRID_LEVELS, DEAD_CASE_STATUSES, routed_to, village_of
from services.micro_funding.logic.pools import cap_of, get_pool
from services.micro_funding.models import (
    BudgetLine,
    KnownCase,
    KnownGrid,
    Milestone,
    Project,
    ProjectCase,
    ProjectGrid,
    ProjectStep,
)
from services.micro_funding.schemas import ProjectDraft
from shared import audit, i18n
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.messaging import catalogue as events
from shared.service import ServiceRuntime

STEP_EVENTS: dict[str, type[events.ProjectStepped]] = {
    "draft": events.ProjectDrafted,
    "submit": events.ProjectSubmittedV2,
    "screen": events.ProjectScreened,
    "deliberate": events.ProjectDeliberated,
    "notice": events.ProjectNoticed,
    "return": events.ProjectReturned,
    "approve": events.ProjectApproved,
    "start": events.ProjectStarted,
    "accept": events.ProjectCompletedV2,
    "evaluate": events.ProjectEvaluated,
    "publish": events.ProjectPublished,
    "reject": events.ProjectRejected,
    "withdraw": events.ProjectWithdrawn,
}
READERS = (Role.deputy, Role.station_staff, Role.npc_office, Role.finance, Role.agency_officer)
"""Who reads projects past their draft (villagers use the public page)."""

# ---------------------------------------------------------------- reading


async def get_project(session: AsyncSession, project_id: str, *, lock: bool = False) -> Project:
    query = select(Project).where(Project.id == project_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    project = (await session.execute(query)).scalar_one_or_none()
    if project is None:
        raise NotFound("No project {project_id}.", params={"project_id": project_id})
    return project


def authorise_read(principal: Principal, project: Project) -> None:
    """Drafts are their deputy's alone; other stages are open to officials (villagers use the public page)."""
    if project.status == "draft":
        if not stages.is_owner(principal, project.deputy_id):
            raise Forbidden("A draft is seen only by the deputy who wrote it.")
        return
    principal.require(*READERS)


def authorise_objection_read(principal: Principal, project: Project) -> None:
    """Objections (villagers' words) are read by those who answer or rule on them: the NPC office, station staff
    and the proposing deputy."""
    if not (principal.has(Role.npc_office, Role.station_staff) or stages.is_owner(principal, project.deputy_id)):
        raise Forbidden("Objections are read by the NPC office, station staff and the proposing deputy.")


def may_see_cases(principal: Principal, project: Project) -> bool:
    """The cases a project cites (villagers' cases, some private) are shown to the proposing deputy, station
    staff and the NPC office; other officials see the project without them."""
    return principal.has(Role.npc_office, Role.station_staff) or stages.is_owner(principal, project.deputy_id)


def own_drafts_of(principal: Principal) -> str | None:
    """The deputy whose drafts a caller also sees in lists: their own, when acting as a deputy."""
    return principal.deputy_id if principal.deputy_id and Role.deputy in principal.roles else None


async def readable_project(session: AsyncSession, principal: Principal, project_id: str) -> Project:
    project = await get_project(session, project_id)
    authorise_read(principal, project)
    return project


# ---------------------------------------------------------------- drafts


async def _villages_of(session: AsyncSession, grid_ids: list[str]) -> dict[str, str]:
    """Each cited grid's village (a village is its own); 422 for grids unknown, retired or of another level."""
    grids = {
        grid.id: grid
        for grid in (await session.execute(select(KnownGrid).where(KnownGrid.id.in_(grid_ids)))).scalars().all()
    }
    bad = [grid_id for grid_id in grid_ids if grid_id not in grids or grids[grid_id].status != "active"]
    bad += [grid_id for grid_id, grid in grids.items() if grid.level not in CITABLE_GRID_LEVELS]
    if bad:
        raise Unprocessable(
            "These are not known active village or group grids: {value}.", params={"value": ", ".join(sorted(set(bad)))}
        )
    return {grid_id: village_of(grid_id, grid.level, grid.parent_id) for grid_id, grid in grids.items()}


async def _check_cases(session: AsyncSession, case_ids: list[str], deputy_id: str, cited: set[str]) -> None:
    """422 unless every case is known here and routed to the deputy (or already cited by this draft), and still
    evidence. A case routed elsewhere is refused exactly like one that does not exist, so that citing tells
    nothing about other deputies' cases."""
    query = select(KnownCase.id, KnownCase.status, KnownCase.deputy_ids).where(KnownCase.id.in_(case_ids))
    rows = {row.id: row for row in await session.execute(query)}
    unknown = sorted(
        case_id
        for case_id in case_ids
        if case_id not in rows or not (case_id in cited or routed_to(rows[case_id].deputy_ids, deputy_id))
    )
    if unknown:
        raise Unprocessable(
            "These cases are not known here (yet), or not routed to you: {unknown}.",
            params={"unknown": ", ".join(unknown)},
        )
    dead = sorted(case_id for case_id, row in rows.items() if row.status in DEAD_CASE_STATUSES)
    if dead:
        raise Unprocessable("These cases were withdrawn, rejected or merged: {dead}.", params={"dead": ", ".join(dead)})


async def _check_draft(
    session: AsyncSession, data: ProjectDraft, deputy_id: str, cited: set[str] | None = None
) -> tuple[int, dict[str, str]]:
    """The budget total and the grids' villages of a valid draft; 404 for an unknown pool, 422 otherwise."""
    pool = await get_pool(session, data.pool_id)
    total = sum(line.amount for line in data.budget_lines)
    check_budget(total, data.kind.value, cap_of(pool, data.kind.value))
    villages = await _villages_of(session, data.grid_ids)
    await _check_cases(session, data.case_ids, deputy_id, cited or set())
    return total, villages


async def _write_parts(session: AsyncSession, project: Project, data: ProjectDraft, villages: dict[str, str]) -> None:
    for table in (ProjectGrid, ProjectCase, BudgetLine, Milestone):
        await session.execute(delete(table).where(table.project_id == project.id))
    session.add_all(ProjectGrid(project_id=project.id, grid_id=g, village_id=villages[g]) for g in data.grid_ids)
    session.add_all(ProjectCase(project_id=project.id, case_id=case_id) for case_id in data.case_ids)
    session.add_all(
        BudgetLine(project_id=project.id, position=i, item=line.item, amount_fen=line.amount)
        for i, line in enumerate(data.budget_lines)
    )
    session.add_all(
        Milestone(id=str(uuid.uuid4()), project_id=project.id, position=i, title=m.title, due_on=m.due_on, done_on=None)
        for i, m in enumerate(data.milestones)
    )
    await session.flush()


def _draft_fields(data: ProjectDraft, total: int) -> dict[str, object]:
    return {
        "pool_id": data.pool_id,
        "kind": data.kind.value,
        "title": data.title,
        "description": data.description,
        "beneficiaries": data.beneficiaries,
        "beneficiary_count": data.beneficiary_count,
        "budget_fen": total,
        "suggestion_id": data.suggestion_id,
    }


async def create_draft(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, data: ProjectDraft
) -> Project:
    """A deputy's new proposal, in draft."""
    principal.require(Role.deputy)
    if not principal.deputy_id:
        raise Forbidden("Only an account acting for a deputy may propose a project.")
    total, villages = await _check_draft(session, data, principal.deputy_id)
    now = runtime.clock.now()
    project = Project(
        id=str(uuid.uuid4()),
        deputy_id=principal.deputy_id,
        owner=principal.subject,
        status="draft",
        created_at=now,
        updated_at=now,
        progress_percent=0,
        rating_count=0,
        rating_sum=0,
        version=1,
        **_draft_fields(data, total),
    )
    session.add(project)
    await session.flush()
    await _write_parts(session, project, data, villages)
    await _record(session, runtime, project, "draft", None, principal.subject, stages.DEPUTY, "")
    await audit.record(session, principal, "funding.project.draft", "project", project.id, pool_id=project.pool_id)
    return project


async def update_draft(
    session: AsyncSession, runtime: ServiceRuntime, principal: Principal, project_id: str, data: ProjectDraft
) -> Project:
    """Replace a draft's content; only its own deputy, and only while it is a draft."""
    project = await get_project(session, project_id, lock=True)
    if not stages.is_owner(principal, project.deputy_id):
        raise Forbidden("Only the deputy who proposed this project may edit it.")
    if project.status != "draft":
        raise Conflict(
            "Only a draft can be edited; this project is {status}.",
            params={"status": i18n.code("project", project.status)},
        )
    cited = set(
        (await session.execute(select(ProjectCase.case_id).where(ProjectCase.project_id == project.id))).scalars()
    )
    total, villages = await _check_draft(session, data, project.deputy_id, cited)
    for name, value in _draft_fields(data, total).items():
        setattr(project, name, value)
    project.updated_at = runtime.clock.now()
    project.version += 1
    await _write_parts(session, project, data, villages)
    await audit.record(session, principal, "funding.project.update", "project", project.id, version=project.version)
    return project


# ---------------------------------------------------------------- steps


def refuse_proposer(action: str, principal: Principal, project: Project) -> None:
    """403 when the caller proposed the project and `action` checks, funds or judges it (separation of duties)."""
    stages.check_not_proposer(action, principal, deputy_id=project.deputy_id, owner=project.owner)


async def project_facts(session: AsyncSession, project_id: str) -> dict[str, list[str]]:
    grids = (
        await session.execute(
            select(ProjectGrid.grid_id, ProjectGrid.village_id)
            .where(ProjectGrid.project_id == project_id)
            .order_by(ProjectGrid.grid_id)
        )
    ).all()
    cases = (
        await session.execute(
            select(ProjectCase.case_id).where(ProjectCase.project_id == project_id).order_by(ProjectCase.case_id)
        )
    ).scalars()
    return {
        "grid_ids": [row.grid_id for row in grids],
        "village_ids": sorted({row.village_id for row in grids}),
        "case_ids": list(cases),
    }


async def _record(
    session: AsyncSession,
    runtime: ServiceRuntime,
    project: Project,
    action: str,
    source: str | None,
    actor: str,
    role: str,
    note: str,
) -> None:
    """Write the timeline step and stage the stage's event, in the caller's transaction."""
    now = runtime.clock.now()
    session.add(
        ProjectStep(
            id=str(uuid.uuid4()),
            project_id=project.id,
            version=project.version,
            from_status=source,
            to_status=project.status,
            actor=actor[:64],
            role=role,
            note=note,
            at=now,
        )
    )
    event_class = STEP_EVENTS[action]
    cited = {"suggestion_id": project.suggestion_id} if "suggestion_id" in event_class.model_fields else {}
    payload = event_class(
        project_id=project.id,
        pool_id=project.pool_id,
        kind=project.kind,
        title=project.title,
        deputy_ids=[project.deputy_id],
        budget=format_fen(project.budget_fen),
        from_status=source,
        to_status=project.status,
        at=now,
        note=note,
        **cited,
        **await project_facts(session, project.id),
    )
    await runtime.emit(session, payload, subject=project.id)


async def take_step(
    session: AsyncSession,
    runtime: ServiceRuntime,
    principal: Principal,
    project: Project,
    action: str,
    note: str = "",
) -> Project:
    """Authorise `action`, check the stage it starts from, move the project and record it (an official's step
    in the audit log too, as `funding.project.<action>`)."""
    role = stages.authorise(action, principal, deputy_id=project.deputy_id, status=project.status, owner=project.owner)
    source = project.status
    project.status = stages.check_source(action, source)
    project.updated_at = runtime.clock.now()
    project.version += 1
    await _record(session, runtime, project, action, source, principal.subject, role, note)
    if audit.is_official(principal):
        detail = {"from_status": source, "to_status": project.status, "role": role}
        await audit.record(session, principal, f"funding.project.{action}", "project", project.id, **detail)
    return project
