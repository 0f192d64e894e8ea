"""Read models of suggestions: one in full (its deputies, the office and its organisations) or as the public
reads it; the public list, each official's working list, and the office's board with an annual report's rates.

The public sees a suggestion once the office accepted it, unless the office marked it not for publication; it
reads the title, the deputies, the organisations, the answer's class, the rating and the dates, and the texts
of the suggestion and its answers — never the cases it cites (villagers' matters) nor the organisations'
internal opinions."""

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain import suggestions as rules
from services.deputy.domain.periods import china_date, year_range
from services.deputy.models import (
    Deputy,
    Suggestion,
    SuggestionAnswer,
    SuggestionEvidence,
    SuggestionOpinion,
    SuggestionProject,
    SuggestionSigner,
)
from services.deputy.schemas.suggestions import BoardRow, SuggestionBoard, SuggestionRead, SuggestionSummary
from shared.auth import Principal, Role
from shared.errors import Forbidden, NotFound
from shared.pagination import Page, PageParams, paginate


def published(suggestion: Suggestion) -> bool:
    return suggestion.public and suggestion.state in rules.ACCEPTED_STATES


def insider(suggestion: Suggestion, signers: list[SuggestionSigner], principal: Principal | None) -> bool:
    """Its deputies (signed or asked to), the office, and officers of its lead or co-organisations."""
    if principal is None:
        return False
    if principal.has(Role.npc_office):
        return True
    if principal.has(Role.deputy) and any(signer.deputy_id == principal.deputy_id for signer in signers):
        return True
    organisations = {suggestion.lead_organisation, *suggestion.co_organisations.split(",")} - {None, ""}
    return principal.has(Role.agency_officer) and principal.organisation in organisations


async def _deputies(session: AsyncSession, signers: list[SuggestionSigner]) -> list[dict[str, Any]]:
    ids = [signer.deputy_id for signer in signers]
    names = dict((await session.execute(select(Deputy.id, Deputy.name).where(Deputy.id.in_(ids)))).all()) if ids else {}
    return [
        {
            "deputy_id": signer.deputy_id,
            "name": names.get(signer.deputy_id, ""),
            "lead": signer.lead,
            "signed": signer.signed_at is not None,
        }
        for signer in signers
    ]


async def _rows(session: AsyncSession, model: Any, suggestion_id: str, *order: Any) -> list[Any]:
    query = select(model).where(model.suggestion_id == suggestion_id).order_by(*order)
    return list((await session.execute(query)).scalars())


def _answer_read(row: SuggestionAnswer) -> dict[str, Any]:
    values = {column.key: getattr(row, column.key) for column in SuggestionAnswer.__table__.columns}
    values["on_time"] = None if row.answered_at is None else row.answered_at <= row.due_at
    return values


def _summary(
    suggestion: Suggestion, deputies: list[dict[str, Any]], answers: list[SuggestionAnswer], now: datetime
) -> dict:
    answered = [row for row in answers if row.answered_at is not None]
    latest = answered[-1] if answered else None
    return {
        "id": suggestion.id,
        "title": suggestion.title,
        "kind": suggestion.kind,
        "state": suggestion.state,
        "deputies": deputies,
        "lead_organisation": suggestion.lead_organisation,
        "co_organisations": [code for code in suggestion.co_organisations.split(",") if code],
        "answer_class": latest.answer_class if latest else None,
        "rating": latest.rating if latest else None,
        "submitted_at": suggestion.submitted_at,
        "accepted_at": suggestion.accepted_at,
        "assigned_at": suggestion.assigned_at,
        "answered_at": latest.answered_at if latest else None,
        "completed_at": suggestion.completed_at,
        "due_at": suggestion.due_at,
        "overdue": rules.is_late(suggestion.due_at, now) and suggestion.state in rules.OPEN_FOR_ANSWER,
    }


async def suggestion_read(
    session: AsyncSession, suggestion: Suggestion, principal: Principal | None, now: datetime
) -> SuggestionRead:
    """The suggestion in full for an insider; as published for anyone else (404 while it is not)."""
    signers = await _rows(session, SuggestionSigner, suggestion.id, SuggestionSigner.position)
    inside = insider(suggestion, signers, principal)
    if not inside and not published(suggestion):
        raise NotFound(f"No suggestion {suggestion.id}.")
    answers = await _rows(session, SuggestionAnswer, suggestion.id, SuggestionAnswer.round)
    evidence = await _rows(session, SuggestionEvidence, suggestion.id, SuggestionEvidence.occurred_at)
    opinions = await _rows(session, SuggestionOpinion, suggestion.id, SuggestionOpinion.round, SuggestionOpinion.at)
    projects = await _rows(session, SuggestionProject, suggestion.id, SuggestionProject.proposed_at)
    return SuggestionRead.model_validate(
        {
            **_summary(suggestion, await _deputies(session, signers), answers, now),
            "problem": suggestion.problem,
            "proposal": suggestion.proposal,
            "grid_ids": [grid_id for grid_id in suggestion.grid_ids.split(",") if grid_id],
            "broad": suggestion.broad,
            "public": suggestion.public,
            "reason": suggestion.reason,
            "merged_into_id": suggestion.merged_into_id,
            "round": suggestion.round,
            "done_report": suggestion.done_report,
            "evidence": evidence if inside else [],
            "answers": [_answer_read(row) for row in answers],
            "opinions": opinions if inside else [],
            "projects": [p for p in projects if inside or p.completed_at is not None],  # the public: once done
            "created_at": suggestion.created_at,
            "updated_at": suggestion.updated_at,
        }
    )


async def _page(
    session: AsyncSession, query: Select[Any], params: PageParams, now: datetime
) -> Page[SuggestionSummary]:
    rows, total = await paginate(session, query, params)
    items = []
    for suggestion in rows:
        signers = await _rows(session, SuggestionSigner, suggestion.id, SuggestionSigner.position)
        answers = await _rows(session, SuggestionAnswer, suggestion.id, SuggestionAnswer.round)
        items.append(
            SuggestionSummary.model_validate(_summary(suggestion, await _deputies(session, signers), answers, now))
        )
    return Page[SuggestionSummary](items=items, total=total, **params.model_dump())


def _filtered(query: Select[Any], state: str | None, organisation: str | None, year: int | None) -> Select[Any]:
    if state:
        query = query.where(Suggestion.state == state)
    if organisation:
        query = query.where(Suggestion.lead_organisation == organisation)
    if year:
        start, end = year_range(year)
        query = query.where(Suggestion.submitted_at >= start, Suggestion.submitted_at < end)
    return query


async def public_list(
    session: AsyncSession,
    params: PageParams,
    now: datetime,
    *,
    state: str | None,
    organisation: str | None,
    year: int | None,
) -> Page[SuggestionSummary]:
    """The published suggestions, latest accepted first."""
    query = select(Suggestion).where(Suggestion.public.is_(True), Suggestion.state.in_(rules.ACCEPTED_STATES))
    query = _filtered(query, state, organisation, year).order_by(Suggestion.accepted_at.desc(), Suggestion.id)
    return await _page(session, query, params, now)


async def work_list(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    now: datetime,
    *,
    state: str | None,
    organisation: str | None,
    year: int | None,
    overdue: bool | None,
) -> Page[SuggestionSummary]:
    """The caller's suggestions: a deputy's own (leading, signed or asked to sign), those assigned to an
    officer's organisation (lead or co), every one but drafts for the office; the nearest due first."""
    query = select(Suggestion)
    if principal.has(Role.npc_office):
        query = query.where(Suggestion.state != "draft")
    elif principal.has(Role.deputy) and principal.deputy_id:
        mine = select(SuggestionSigner.suggestion_id).where(SuggestionSigner.deputy_id == principal.deputy_id)
        query = query.where(Suggestion.id.in_(mine))
    elif principal.has(Role.agency_officer) and principal.organisation:
        code = principal.organisation
        quoted = code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")  # a code's _ is no wildcard
        among = [f"{quoted},%", f"%,{quoted}", f"%,{quoted},%"]
        query = query.where(
            or_(
                Suggestion.lead_organisation == code,
                Suggestion.co_organisations == code,
                *(Suggestion.co_organisations.like(pattern, escape="\\") for pattern in among),
            )
        )
    else:
        raise Forbidden("Deputies, agency officers and the office have suggestions to work on.")
    if overdue is not None:
        late = Suggestion.state.in_(rules.OPEN_FOR_ANSWER) & (Suggestion.due_at <= now)
        query = query.where(late if overdue else ~late)
    query = _filtered(query, state, organisation, year)
    query = query.order_by(Suggestion.due_at.is_(None), Suggestion.due_at, Suggestion.updated_at.desc(), Suggestion.id)
    return await _page(session, query, params, now)


def _tally(row: Counter[str], suggestion: Suggestion, answers: list[SuggestionAnswer], now: datetime) -> None:
    row["assigned"] += 1
    open_ = suggestion.state not in {"completed", "merged"}
    row["open"] += open_
    row["overdue"] += suggestion.state in rules.OPEN_FOR_ANSWER and rules.is_late(suggestion.due_at, now)
    answered = [answer for answer in answers if answer.answered_at is not None]
    if answered:
        first, latest = answered[0], answered[-1]
        row["answered"] += 1
        row["answered_on_time"] += first.answered_at is not None and first.answered_at <= first.due_at
        row["satisfied"] += latest.rating in {"satisfied", "basically_satisfied"}
        row["dissatisfied"] += latest.rating == "dissatisfied"
        row["solved"] += latest.answer_class == "solved"
        promised = latest.promised_on
        row["planned_late"] += suggestion.state == "planned" and promised is not None and promised < china_date(now)


async def board(session: AsyncSession, year: int, now: datetime) -> SuggestionBoard:
    """The year's suggestions (by the day submitted) by state, and by lead organisation with the rates an
    annual report needs: answered on time (the first answer by its due time), satisfied, solved."""
    start, end = year_range(year)
    query = select(Suggestion).where(Suggestion.submitted_at >= start, Suggestion.submitted_at < end)
    suggestions = list((await session.execute(query)).scalars())
    answers: dict[str, list[SuggestionAnswer]] = {}
    if suggestions:
        rows = select(SuggestionAnswer).where(SuggestionAnswer.suggestion_id.in_([s.id for s in suggestions]))
        for row in (await session.execute(rows.order_by(SuggestionAnswer.round))).scalars():
            answers.setdefault(row.suggestion_id, []).append(row)
    by_state = Counter(suggestion.state for suggestion in suggestions)
    per_org: dict[str, Counter[str]] = {}
    total: Counter[str] = Counter()
    for suggestion in suggestions:
        if suggestion.lead_organisation is None:
            continue
        for row in (per_org.setdefault(suggestion.lead_organisation, Counter()), total):
            _tally(row, suggestion, answers.get(suggestion.id, []), now)
    fields = BoardRow.model_fields.keys() - {"organisation"}
    shaped = [
        BoardRow(organisation=code, **{name: counts[name] for name in fields})
        for code, counts in sorted(per_org.items())
    ]
    return SuggestionBoard(
        year=year,
        by_state={state: by_state[state] for state in rules.STATES if by_state[state]},
        total=BoardRow(organisation="", **{name: total[name] for name in fields}),
        by_organisation=shaped,
    )
