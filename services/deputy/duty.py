"""The record of duty (履职档案), household support pairs, the five ones (五个一) and the statistics.

Records come from other services' events (cases accepted, referred and resolved, disputes mediated) and
from the deputy's own entries. Each names the fact behind it, so that statistics count facts, not deputies.
"""

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.logic import get_deputy, require_known_grid, update_inbox
from services.deputy.models import Deputy, DutyFact, DutyRecord, KnownGrid, SupportPair
from services.deputy.schemas import EntryCreate, HouseholdVisitCreate, SupportPairCreate, SupportPairEnd
from shared.clock import CHINA, today
from shared.errors import Conflict, NotFound, Unprocessable
from shared.messaging.catalogue import (
    CaseAccepted,
    CaseReferred,
    CaseResolved,
    CaseTransitioned,
    DisputeMediated,
    ProjectCompleted,
    ProjectStepped,
    ProjectSubmitted,
    SessionHeld,
    StationIssueRaised,
    VisitLogged,
)
from shared.pagination import PageParams, paginate
from shared.service import ServiceRuntime

FIVE_ONES = ("suggestion", "inspection", "dispute", "household", "livelihood")
DEFAULT_ROLES = {
    "field_visit": ["informant"],
    "inspection": ["supervisor"],
    "research": ["supervisor"],
    "suggestion": ["supervisor", "informant"],
    "livelihood_matter": ["servant"],
    "reception": ["informant", "servant"],
    "publicity": ["publicist"],
    "other": ["servant"],
    "household_visit": ["servant"],
    "case_accepted": ["informant"],
    "case_referred": ["supervisor"],
    "case_resolved": ["servant"],
    "dispute_mediated": ["mediator"],
    "reception_held": ["informant", "servant"],
    "visitor_received": ["informant"],
    "project_proposed": ["informant", "servant"],
    "project_completed": ["servant", "supervisor"],
}
ENTRY_METRIC = {"suggestion": "suggestions", "livelihood_matter": "livelihood_matters", "reception": "visitors"}
ENTRY_FIVE_ONE = {
    "suggestion": "suggestion",
    "inspection": "inspection",
    "research": "inspection",
    "livelihood_matter": "livelihood",
}
VISITS = {"field_visit", "inspection", "research", "household_visit"}
METRICS = ("suggestions", "disputes_mediated", "livelihood_matters", "visitors", "issues_resolved")


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of China-time days `first` to `last`, both included."""
    start = datetime.combine(first, time.min, CHINA).astimezone(UTC)
    end = datetime.combine(date.fromordinal(last.toordinal() + 1), time.min, CHINA).astimezone(UTC)
    return start, end


def year_range(year: int) -> tuple[datetime, datetime]:
    return day_range(date(year, 1, 1), date(year, 12, 31))


# --- own entries --------------------------------------------------------------------------------------------


def _record(
    deputy: Deputy, kind: str, source: str, fact_key: str, record_id: str | None = None, **values: Any
) -> DutyRecord:
    roles = values.pop("roles", None) or DEFAULT_ROLES[kind]
    grid_id = values.pop("grid_id", None) or deputy.home_grid_id
    return DutyRecord(
        id=record_id or str(uuid.uuid4()),
        deputy_id=deputy.id,
        kind=kind,
        source=source,
        roles=",".join(roles),
        grid_id=grid_id,
        fact_key=fact_key,
        created_at=datetime.now(UTC),
        **values,
    )


async def _keep(session: AsyncSession, record: DutyRecord) -> None:
    """Add the record, and the fact it counts towards unless another deputy's record wrote it first."""
    session.add(record)
    if record.metric and await session.get(DutyFact, record.fact_key) is None:
        session.add(
            DutyFact(
                fact_key=record.fact_key,
                metric=record.metric,
                quantity=record.quantity,
                grid_id=record.grid_id,
                occurred_at=record.occurred_at,
            )
        )


def _details(data: EntryCreate | HouseholdVisitCreate) -> dict[str, Any]:
    location = data.location
    return {
        "summary": data.summary,
        "notes": data.notes or None,
        "lat": location.lat if location else None,
        "lon": location.lon if location else None,
        "photos": json.dumps(data.photos) if data.photos else None,
        "occurred_at": data.occurred_at,
        "roles": [str(role) for role in data.roles],
    }


async def _active_deputy(session: AsyncSession, deputy_id: str) -> Deputy:
    deputy = await get_deputy(session, deputy_id)
    if deputy.status != "active":
        raise Conflict("The deputy is retired; the record of duty is closed.")
    return deputy


async def _log_visit(session: AsyncSession, runtime: ServiceRuntime, record: DutyRecord) -> None:
    if record.kind in VISITS:
        visit = VisitLogged(
            visit_id=record.id,
            deputy_id=record.deputy_id,
            kind=record.kind,
            grid_id=record.grid_id,
            occurred_at=record.occurred_at,
            roles=record.roles.split(","),
        )
        await runtime.emit(session, visit, subject=record.deputy_id)


async def add_entry(session: AsyncSession, runtime: ServiceRuntime, deputy_id: str, data: EntryCreate) -> DutyRecord:
    """A deputy's own entry; a visit is also published (deputy visit logged), without its notes."""
    deputy = await _active_deputy(session, deputy_id)
    if data.visitors and data.kind != "reception":
        raise Unprocessable("Visitors are counted on reception duty only.")
    await require_known_grid(session, data.grid_id)
    entry_id = str(uuid.uuid4())
    record = _record(
        deputy,
        data.kind,
        "entry",
        f"entry:{entry_id}",
        entry_id,
        grid_id=data.grid_id,
        place=data.place or None,
        metric=ENTRY_METRIC.get(data.kind),
        quantity=data.visitors if data.kind == "reception" else 1,
        five_one=ENTRY_FIVE_ONE.get(data.kind),
        **_details(data),
    )
    await _keep(session, record)
    await session.flush()
    await _log_visit(session, runtime, record)
    return record


async def get_record(session: AsyncSession, record_id: str) -> DutyRecord:
    record = await session.get(DutyRecord, record_id)
    if record is None:
        raise NotFound(f"No record {record_id}.")
    return record


async def list_record(
    session: AsyncSession,
    deputy_id: str,
    params: PageParams,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    kind: str | None = None,
    role: str | None = None,
) -> tuple[list[DutyRecord], int]:
    """A deputy's record of duty, the latest first."""
    await get_deputy(session, deputy_id)
    query = select(DutyRecord).where(DutyRecord.deputy_id == deputy_id)
    if date_from or date_to:
        start, end = day_range(date_from or date(2000, 1, 1), date_to or date(2100, 12, 30))
        query = query.where(DutyRecord.occurred_at >= start, DutyRecord.occurred_at < end)
    if kind:
        query = query.where(DutyRecord.kind == kind)
    if role:
        query = query.where(DutyRecord.roles.contains(role))
    return await paginate(session, query.order_by(DutyRecord.occurred_at.desc(), DutyRecord.id), params)


# --- household support pairs (结对帮扶) -------------------------------------------------------------------------


async def add_pair(
    session: AsyncSession, runtime: ServiceRuntime, deputy_id: str, data: SupportPairCreate
) -> SupportPair:
    deputy = await _active_deputy(session, deputy_id)
    if data.starts_on > today(runtime):
        raise Unprocessable("A support pair starts today or on a past day.")
    await require_known_grid(session, data.grid_id)
    pair = SupportPair(
        id=str(uuid.uuid4()),
        deputy_id=deputy.id,
        grid_id=data.grid_id or deputy.home_grid_id,
        ends_on=None,
        created_at=datetime.now(UTC),
        **data.model_dump(exclude={"grid_id"}),
    )
    session.add(pair)
    await session.flush()
    return pair


async def get_pair(session: AsyncSession, pair_id: str) -> SupportPair:
    pair = await session.get(SupportPair, pair_id)
    if pair is None:
        raise NotFound(f"No support pair {pair_id}.")
    return pair


async def list_pairs(session: AsyncSession, deputy_id: str, params: PageParams) -> tuple[list[SupportPair], int]:
    await get_deputy(session, deputy_id)
    query = select(SupportPair).where(SupportPair.deputy_id == deputy_id).order_by(SupportPair.starts_on.desc())
    return await paginate(session, query.order_by(SupportPair.id), params)


async def end_pair(session: AsyncSession, runtime: ServiceRuntime, pair_id: str, data: SupportPairEnd) -> SupportPair:
    pair = await get_pair(session, pair_id)
    if pair.ends_on is not None:
        raise Conflict("The support pair has ended.")
    if not pair.starts_on <= data.ends_on <= today(runtime):
        raise Unprocessable("The end date must lie between the start date and today.")
    pair.ends_on = data.ends_on
    await session.flush()
    return pair


async def add_household_visit(
    session: AsyncSession, runtime: ServiceRuntime, pair: SupportPair, data: HouseholdVisitCreate
) -> DutyRecord:
    """A visit to a supported household: the evidence of the year's 'support one household'."""
    deputy = await _active_deputy(session, pair.deputy_id)
    if data.occurred_at.astimezone(CHINA).date() < pair.starts_on:
        raise Unprocessable("The visit lies before the support pair started.")
    visit_id = str(uuid.uuid4())
    record = _record(
        deputy,
        "household_visit",
        "entry",
        f"entry:{visit_id}",
        visit_id,
        grid_id=pair.grid_id,
        pair_id=pair.id,
        five_one="household",
        **_details(data),
    )
    session.add(record)
    await session.flush()
    await _log_visit(session, runtime, record)
    return record


# --- from other services' events --------------------------------------------------------------------------


async def _record_once(session: AsyncSession, deputy_id: str, kind: str, fact_key: str, **values: Any) -> None:
    """One record per deputy and fact; a deputy unknown here (not registered with us) gets none."""
    deputy = await session.get(Deputy, deputy_id)
    if deputy is None:
        return
    existing = (
        await session.execute(
            select(DutyRecord).where(DutyRecord.deputy_id == deputy_id, DutyRecord.fact_key == fact_key)
        )
    ).scalar_one_or_none()
    if existing is not None:  # e.g. a later mediation session of the same dispute, now with an agreement
        existing.five_one = existing.five_one or values.get("five_one")
        return
    await _keep(session, _record(deputy, kind, "event", fact_key, **values))


def _actors(payload: CaseTransitioned) -> list[str]:
    return [payload.actor_deputy_id] if payload.actor_deputy_id else list(payload.deputy_ids)


async def on_case_transitioned(session: AsyncSession, runtime: ServiceRuntime, payload: CaseTransitioned) -> None:
    """Every step keeps the inboxes current; accepting, referring and resolving go on the record of duty."""
    await update_inbox(session, payload)
    entry = _from_transition(payload)
    if entry is None:
        return
    kind, metric, five_one = entry
    roles = DEFAULT_ROLES["dispute_mediated"] if payload.kind == "dispute" and kind == "case_resolved" else None
    for deputy_id in _actors(payload):
        await _record_once(
            session,
            deputy_id,
            kind,
            f"{kind}:{payload.case_id}",
            occurred_at=payload.at,
            grid_id=payload.grid_id,
            case_id=payload.case_id,
            metric=metric,
            five_one=five_one,
            summary=f"{payload.tracking_code} {payload.category}",
            roles=roles,
        )


def _from_transition(payload: CaseTransitioned) -> tuple[str, str | None, str | None] | None:
    if isinstance(payload, CaseAccepted):
        return "case_accepted", None, None
    if isinstance(payload, CaseReferred):
        return "case_referred", None, None
    if isinstance(payload, CaseResolved):
        return "case_resolved", "issues_resolved", "dispute" if payload.kind == "dispute" else "livelihood"
    return None


async def on_dispute_mediated(session: AsyncSession, _: ServiceRuntime, payload: DisputeMediated) -> None:
    """A mediation of a dispute: on each mediator's record; with an agreement it is the year's dispute resolved."""
    for deputy_id in payload.mediator_deputy_ids:
        await _record_once(
            session,
            deputy_id,
            "dispute_mediated",
            f"dispute_mediated:{payload.case_id}",
            occurred_at=payload.at,
            grid_id=payload.grid_id,
            case_id=payload.case_id,
            metric="disputes_mediated",
            five_one="dispute" if payload.agreement_reached else None,
            summary="调解协议达成" if payload.agreement_reached else "调解",
        )


async def on_session_held(session: AsyncSession, _: ServiceRuntime, payload: SessionHeld) -> None:
    """Reception duty held at a liaison station goes on each deputy on duty's record."""
    for deputy_id in payload.deputy_ids:
        await _record_once(
            session,
            deputy_id,
            "reception_held",
            f"reception_held:{payload.session_id}",
            occurred_at=payload.starts_at,
            summary="联络站接待",
        )


async def on_station_issue(session: AsyncSession, _: ServiceRuntime, payload: StationIssueRaised) -> None:
    """A visitor received at a station with an issue to follow up; routed as a suggestion, it is one made."""
    suggestion = payload.route == "suggestion"
    for deputy_id in payload.deputy_ids:
        await _record_once(
            session,
            deputy_id,
            "visitor_received",
            f"visitor_received:{payload.record_id}",
            occurred_at=payload.raised_at,
            grid_id=payload.grid_id,
            case_id=payload.case_id,
            metric="visitors",
            summary=payload.summary[:200],
        )
        if suggestion:
            await _record_once(
                session,
                deputy_id,
                "suggestion",
                f"suggestion:{payload.case_id}",
                occurred_at=payload.raised_at,
                grid_id=payload.grid_id,
                case_id=payload.case_id,
                metric="suggestions",
                five_one="suggestion",
                summary=payload.summary[:200],
            )


async def on_project_step(session: AsyncSession, _: ServiceRuntime, payload: ProjectStepped) -> None:
    """A micro-project proposed (submitted) or completed (accepted, 验收) by deputies; completed is a matter done."""
    completed = isinstance(payload, ProjectCompleted)
    kind = "project_completed" if completed else "project_proposed"
    for deputy_id in payload.deputy_ids:
        await _record_once(
            session,
            deputy_id,
            kind,
            f"{kind}:{payload.project_id}",
            occurred_at=payload.at,
            grid_id=payload.grid_ids[0] if payload.grid_ids else None,
            metric="livelihood_matters" if completed else None,
            five_one="livelihood" if completed else None,
            summary=payload.title[:200],
        )


PROJECT_STEPS = (ProjectSubmitted, ProjectCompleted)


# --- five ones (五个一) -----------------------------------------------------------------------------------------


async def five_ones(session: AsyncSession, deputy_id: str, year: int, evidence: int = 5) -> dict[str, Any]:
    """Each of the five ones done or not in the year, with up to `evidence` records behind each."""
    await get_deputy(session, deputy_id)
    start, end = year_range(year)
    query = (
        select(DutyRecord)
        .where(
            DutyRecord.deputy_id == deputy_id,
            DutyRecord.five_one.is_not(None),
            DutyRecord.occurred_at >= start,
            DutyRecord.occurred_at < end,
        )
        .order_by(DutyRecord.occurred_at, DutyRecord.id)
    )
    found: dict[str, list[DutyRecord]] = defaultdict(list)
    for record in (await session.execute(query)).scalars():
        found[record.five_one or ""].append(record)
    items = [{"item": item, "done": bool(found[item]), "evidence": found[item][:evidence]} for item in FIVE_ONES]
    return {"deputy_id": deputy_id, "year": year, "done": sum(item["done"] for item in items), "items": items}


async def behind(
    session: AsyncSession, year: int, params: PageParams, *, township_id: str | None = None
) -> dict[str, Any]:
    """Active deputies who have not yet done all five ones this year, the furthest behind first."""
    start, end = year_range(year)
    done_query = (
        select(DutyRecord.deputy_id, DutyRecord.five_one)
        .where(DutyRecord.five_one.is_not(None), DutyRecord.occurred_at >= start, DutyRecord.occurred_at < end)
        .distinct()
    )
    done: dict[str, set[str]] = defaultdict(set)
    for deputy_id, item in (await session.execute(done_query)).all():
        done[deputy_id].add(item)
    deputies = select(Deputy).where(Deputy.status == "active").order_by(Deputy.code)
    if township_id:
        homes = select(KnownGrid.id).where(KnownGrid.township_id == township_id)
        deputies = deputies.where(Deputy.home_grid_id.in_(homes))
    rows = [
        {
            "deputy_id": deputy.id,
            "code": deputy.code,
            "name": deputy.name,
            "district": deputy.district,
            "done": len(done[deputy.id]),
            "missing": [item for item in FIVE_ONES if item not in done[deputy.id]],
        }
        for deputy in (await session.execute(deputies)).scalars()
        if len(done[deputy.id]) < len(FIVE_ONES)
    ]
    rows.sort(key=lambda row: row["done"])
    return {"items": rows[params.offset : params.offset + params.limit], "total": len(rows), "year": year}


# --- statistics -------------------------------------------------------------------------------------------------


async def _scope(session: AsyncSession, grid_id: str | None) -> tuple[str, Any, Any]:
    """(level, the column rows are broken down by, the filter of the place) for the city or a grid."""
    if grid_id is None:
        return "city", KnownGrid.township_id, None
    grid = await session.get(KnownGrid, grid_id)
    if grid is None:
        raise NotFound(f"No grid {grid_id} is known here.")
    if grid.level == "township":
        return "township", KnownGrid.village_id, KnownGrid.township_id == grid.id
    if grid.level == "village":
        return "village", KnownGrid.id, KnownGrid.village_id == grid.id
    raise Unprocessable("Statistics are kept for the city, a township or a village.")


async def _fact_counts(session: AsyncSession, start: datetime, end: datetime, key: Any, place: Any) -> list:  # type: ignore[type-arg]
    """(breakdown key, metric, facts, quantity): counted per grid from the facts' index, then rolled up."""
    per_grid = (
        select(
            DutyFact.grid_id,
            DutyFact.metric,
            func.count().label("facts"),
            func.sum(DutyFact.quantity).label("quantity"),
        )
        .where(DutyFact.occurred_at >= start, DutyFact.occurred_at < end)
        .group_by(DutyFact.grid_id, DutyFact.metric)
        .subquery()
    )
    query = (
        select(key.label("key"), per_grid.c.metric, func.sum(per_grid.c.facts), func.sum(per_grid.c.quantity))
        .select_from(per_grid)
        .outerjoin(KnownGrid, KnownGrid.id == per_grid.c.grid_id)
        .group_by(key, per_grid.c.metric)
    )
    if place is not None:
        query = query.where(place)
    return list((await session.execute(query)).all())


async def _households(session: AsyncSession, first: date, last: date, key: Any, place: Any) -> list:  # type: ignore[type-arg]
    """(breakdown key, households) supported at some time in the range."""
    query = (
        select(key.label("key"), func.count(func.distinct(SupportPair.id)))
        .select_from(SupportPair)
        .outerjoin(KnownGrid, KnownGrid.id == SupportPair.grid_id)
        .where(SupportPair.starts_on <= last, or_(SupportPair.ends_on.is_(None), SupportPair.ends_on >= first))
        .group_by(key)
    )
    if place is not None:
        query = query.where(place)
    return list((await session.execute(query)).all())


def _empty() -> dict[str, int]:
    return {name: 0 for name in (*METRICS, "households_supported")}


def _tally(facts: Iterable, households: Iterable) -> dict[str | None, dict[str, int]]:  # type: ignore[type-arg]
    rows: dict[str | None, dict[str, int]] = defaultdict(_empty)
    for key, metric, count, quantity in facts:
        rows[key][metric] += int(quantity or 0) if metric == "visitors" else int(count)
    for key, count in households:
        rows[key]["households_supported"] += int(count)
    return rows


async def _names(session: AsyncSession, ids: Iterable[str | None]) -> dict[str, KnownGrid]:
    wanted = [grid_id for grid_id in ids if grid_id]
    rows = (await session.execute(select(KnownGrid).where(KnownGrid.id.in_(wanted)))).scalars() if wanted else []
    return {row.id: row for row in rows}


def _shaped(grid_id: str | None, name: str | None, figures: dict[str, int]) -> dict[str, Any]:
    return {
        "grid_id": grid_id,
        "grid_name": name,
        "suggestions": figures["suggestions"],
        "disputes_mediated": figures["disputes_mediated"],
        "households_supported": figures["households_supported"],
        "livelihood_matters": figures["livelihood_matters"],
        "visitors_received": figures["visitors"],
        "issues_resolved": figures["issues_resolved"],
    }


async def statistics(session: AsyncSession, first: date, last: date, *, grid_id: str | None = None) -> dict[str, Any]:
    """The reference figures for a date range, for the city, a township or a village, broken down one level lower."""
    if last < first:
        raise Unprocessable("The range ends before it starts.")
    level, key, place = await _scope(session, grid_id)
    start, end = day_range(first, last)
    rows = _tally(
        await _fact_counts(session, start, end, key, place), await _households(session, first, last, key, place)
    )
    total = _empty()
    for figures in rows.values():
        for name, value in figures.items():
            total[name] += value
    names = await _names(session, [*rows, grid_id])
    place_name = names[grid_id].name if grid_id else None
    ordered = sorted(rows.items(), key=lambda item: (item[0] is None, names[item[0]].code if item[0] in names else ""))
    return {
        "date_from": first,
        "date_to": last,
        "level": level,
        "total": _shaped(grid_id, place_name, total),
        "rows": [_shaped(key_, names[key_].name if key_ in names else None, figures) for key_, figures in ordered],
    }
