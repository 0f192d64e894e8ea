"""A case as each reader may see it (the contact for those who call back, internal notes for officials, nothing
personal by tracking code), the filing's answer, and the lists: a caller's cases, similar open cases, return
visits due."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import INTERNAL, OPEN, Actor, CaseStatus, Who, require
from services.case_intake.domain.out_of_scope import where_to_go
from services.case_intake.domain.projects import public_path
from services.case_intake.domain.wording import spoken
from services.case_intake.logic.access import STAFF_ROLES, deputy_grids
from services.case_intake.logic.cases import assignees, supporter_count
from services.case_intake.logic.filing import ON_BEHALF, Filed
from services.case_intake.models import (
    Case,
    CaseAssignee,
    CaseSupporter,
    CaseTransition,
    Category,
    Referral,
    StationHandover,
)
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import (
    CaseCreated,
    CasePhoto,
    CaseRead,
    CaseRecording,
    ContactRead,
    ProjectLink,
    ReceptionRead,
    SimilarCase,
    SortOrder,
    TransitionRead,
)
from services.case_intake.views import statistics
from services.case_intake.views.photos import case_photos
from services.case_intake.views.recordings import case_recording
from shared.auth import Principal, Role
from shared.i18n import N_
from shared.pagination import PageParams, paginate
from shared.privacy import mask_name, mask_phone, redact
from shared.types import LatLon

OFFICIAL_ROLES = frozenset({"deputy", "office", "agency"})
"""The timeline's roles of officials' steps (domain.lifecycle.PUBLIC_ROLE)."""


def step_read(step: CaseTransition, *, accounts: bool = False) -> TransitionRead:
    """One step; `accounts`: the official account that took it (for the deputies handling it and the office)."""
    shown = accounts and step.actor_role in OFFICIAL_ROLES
    project = None
    if step.project_id is not None:
        stage = step.project_stage or ""
        path = public_path(step.project_id, stage)
        project = ProjectLink(id=step.project_id, title=step.note or "", stage=stage, public_path=path)
    return TransitionRead.model_validate(step).model_copy(
        update={
            "actor_account": step.actor if shown else None,
            "actor_name": step.actor_name if shown else None,
            "project": project,
            "reason": spoken(step.reason, step.sentence, step.sentence_params),
        }
    )


async def timeline(session: AsyncSession, case_id: str, *, internal: bool = False) -> list[TransitionRead]:
    """The case's steps in order; internal notes and the officials' accounts only if `internal`."""
    query = (
        select(CaseTransition)
        .where(CaseTransition.case_id == case_id)
        .order_by(CaseTransition.seq, CaseTransition.at, CaseTransition.to_status.desc())
    )
    if not internal:
        query = query.where(CaseTransition.action.not_in(INTERNAL))
    return [step_read(item, accounts=internal) for item in (await session.execute(query)).scalars()]


async def read_model(
    session: AsyncSession,
    case: Case,
    *,
    contact_visible: bool = False,
    by_code: bool = False,
    internal: bool = False,
) -> CaseRead:
    """The case; `contact_visible` for its handlers, filer and the office; `by_code` for anyone with the code;
    `internal` (its internal notes) for officials (see `logic.access.sees_internal`)."""
    handover = await session.get(StationHandover, case.id) if internal and not by_code else None
    return shape(
        case,
        reception=ReceptionRead.model_validate(handover) if handover is not None else None,
        assigned=await assignees(session, case.id),
        supporters=await supporter_count(session, case.id),
        steps=await timeline(session, case.id, internal=internal and not by_code),
        pictures=await case_photos(session, case.id),
        recording=await case_recording(session, case.id),
        contact_visible=contact_visible,
        by_code=by_code,
    )


def shape(
    case: Case,
    *,
    assigned: list[str],
    supporters: int,
    steps: list[TransitionRead],
    pictures: list[CasePhoto],
    recording: CaseRecording | None = None,
    contact_visible: bool = False,
    by_code: bool = False,
    reception: ReceptionRead | None = None,
    model: type[CaseRead] = CaseRead,
    **extra: Any,
) -> CaseRead:
    return model(
        **extra,
        reception=reception,
        id=case.id,
        tracking_code=case.tracking_code,
        kind=case.kind,
        category=case.category,
        description=redact(case.description) if by_code else case.description,
        grid_id=case.grid_id,
        location=_location(case) if not by_code else None,
        channel=case.channel,
        status=case.status,
        urgent=case.urgent,
        submitted_at=case.submitted_at,
        accept_due_at=case.accept_due_at,
        resolve_due_at=case.resolve_due_at,
        escalation_level=case.escalation_level,
        assigned_deputy_ids=assigned,
        supporters=supporters,
        contact_phone_masked=mask_phone(case.contact_phone) if contact_visible else None,
        contact_name_masked=mask_name(case.contact_name) if contact_visible else None,
        resolution=case.resolution,
        public_reason=case.public_reason,
        out_of_scope=case.out_of_scope,
        where_to_go=where_to_go(case.out_of_scope),
        rating=case.rating,
        merged_into_id=case.merged_into_id,
        photos=pictures,
        recording=recording,
        timeline=steps,
    )


def _location(case: Case) -> LatLon | None:
    if case.location_lat is None or case.location_lon is None:
        return None
    return LatLon(lat=case.location_lat, lon=case.location_lon)


async def created_model(session: AsyncSession, filed: Filed, filer_key: str | None) -> CaseCreated:
    """The filing's answer, from what it wrote (a new case has no supporters yet): what GET /cases/{id} reads."""
    steps = [
        step_read(step).model_copy(update={"at": step.at.astimezone(UTC)})
        for step in sorted(filed.steps, key=lambda step: step.seq)
    ]
    created = shape(
        filed.case,
        assigned=sorted(filed.deputies),
        supporters=0,
        steps=steps,
        pictures=await case_photos(session, filed.case.id) if filed.photo_ids else [],
        recording=await case_recording(session, filed.case.id) if filed.recording_id else None,
        contact_visible=True,
        model=CaseCreated,
        filer_key=filer_key,
    )
    assert isinstance(created, CaseCreated)
    return created


def contact(case: Case, who: Who) -> ContactRead:
    """The villager's contact, for those who must call them back: the deputies handling it and the office."""
    require(who, Actor.handler, Actor.staff, doing=N_("see the villager's contact"))
    return ContactRead(phone=case.contact_phone, name=case.contact_name, preference=case.contact_preference)


# --- lists ----------------------------------------------------------------------------------------------------


async def list_cases(
    session: AsyncSession, principal: Principal, params: PageParams, **filters: Any
) -> tuple[list[Case], int]:
    """A page of the caller's cases (`cases_query`)."""
    return await paginate(session, await cases_query(session, principal, **filters), params)


async def cases_query(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None = None,
    grid_id: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    overdue: bool | None = None,
    now: datetime | None = None,
    sort: SortOrder = SortOrder.newest,
) -> Select[tuple[Case]]:
    """The cases the caller may list (every case for staff), filtered and sorted: GET /cases and its export."""
    query = select(Case)
    if not principal.has(*STAFF_ROLES):
        query = query.where(or_(*await _visible(session, principal)))
    for column, value in ((Case.status, status), (Case.grid_id, grid_id), (Case.kind, kind), (Case.category, category)):
        if value is not None:
            query = query.where(column == value)
    if overdue is not None and now is not None:
        late = statistics.late(now)
        query = query.where(late if overdue else ~late | Case.due_kind.is_(None))
    if sort is SortOrder.due:
        query = query.order_by(Case.due_kind.is_(None), Case.resolve_due_at, Case.accept_due_at, Case.id)
    else:
        query = query.order_by(Case.submitted_at.desc(), Case.id)
    return query


async def _visible(session: AsyncSession, principal: Principal) -> list[Any]:
    """The cases a caller who is not staff may list: own, routed or in their grids, referred to them (the rules of
    logic.access; supporting one lists nothing)."""
    conditions = [Case.submitted_by == principal.subject]
    if principal.deputy_id and principal.has(Role.deputy):
        routed = select(CaseAssignee.case_id).where(CaseAssignee.deputy_id == principal.deputy_id)
        conditions.append(Case.id.in_(routed))
        grids = await deputy_grids(session, principal.deputy_id)
        if grids:
            conditions.append(Case.grid_id.in_(grids))
    if principal.organisation and principal.has(Role.agency_officer):
        referred = select(Referral.case_id).where(Referral.organisation == principal.organisation)
        conditions.append(Case.id.in_(referred))
    return conditions


async def similar_cases(
    session: AsyncSession, params: PageParams, *, grid_id: str, category: str
) -> tuple[list[SimilarCase], int]:
    """Open public cases of the same grid and category, most supported first: a "me too" before filing again.
    What, when and how many only: never the filer's words (a public view, like the board)."""
    supporters = (
        select(func.count()).select_from(CaseSupporter).where(CaseSupporter.case_id == Case.id).scalar_subquery()
    )
    query = (
        select(Case, supporters.label("supporters"))
        .where(Case.grid_id == grid_id, Case.category == category, Case.status.in_(OPEN), Case.public)
        .where(Case.kind != "dispute")
        .order_by(supporters.desc(), Case.submitted_at.desc(), Case.id)
    )
    total = (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()
    rows = (await session.execute(query.limit(params.limit).offset(params.offset))).all()
    named = await session.get(Category, category)
    return [
        SimilarCase(
            id=case.id,
            kind=case.kind,
            category=case.category,
            status=case.status,
            summary=named.label_zh if named else case.category,
            submitted_at=case.submitted_at,
            supporters=count,
        )
        for case, count in rows
    ], total


async def return_visits_due(session: AsyncSession, runtime: CaseRuntime, params: PageParams) -> tuple[list[Case], int]:
    """Resolutions waiting for the villager's word, oldest first: at once when the case was filed on their
    behalf (they have no app), else once `return_visit_days` passed without a rating."""
    unrated_since = runtime.clock.now() - timedelta(days=runtime.policy.return_visit_days)
    no_app = Case.submitted_by.is_(None) & Case.channel.in_(ON_BEHALF)
    query = (
        select(Case)
        .where(Case.status == CaseStatus.resolved, or_(no_app, Case.resolved_at <= unrated_since))
        .order_by(Case.resolved_at, Case.id)
    )
    return await paginate(session, query, params)
