"""Deputies' suggestions (代表建议), from the draft to the office's decision: a deputy drafts and leads one, the
deputies it names sign it, the lead submits it, the NPC office accepts, merges or returns it. Accepting it puts
it on each signer's record of duty as the year's good suggestion (五个一) and counts it in the statistics.

Every step is checked against the caller's relation to the suggestion (domain.suggestions.check): a stranger
of any role is refused. The answer, the rating and the deadlines are in suggestion_handling."""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain import suggestions as rules
from services.deputy.domain.duty import public_summary
from services.deputy.logic.deputies import active_deputy, require_known_grid
from services.deputy.logic.record import record_once
from services.deputy.models import DutyRecord, InboxCase, Suggestion, SuggestionEvidence, SuggestionSigner
from services.deputy.schemas.suggestions import EvidenceRef, SuggestionDraft, SuggestionMerge, SuggestionReason
from shared import audit
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.messaging.catalogue import (
    SuggestionAccepted,
    SuggestionMerged,
    SuggestionReturned,
    SuggestionStepped,
    SuggestionSubmitted,
)
from shared.service import ServiceRuntime

EVIDENCE_RECORDS = frozenset(
    {"reception_held", "visitor_received", "field_visit", "inspection", "research", "case_resolved", "suggestion"}
)
"""The entries of a record of duty a suggestion may cite: reception records, visitors received and visits (a
household visit may name the family, so it is never cited)."""


def now_of(runtime: ServiceRuntime) -> datetime:
    """The service clock's time, in UTC (as the database gives it back)."""
    return runtime.clock.now().astimezone(UTC)


async def get_suggestion(session: AsyncSession, suggestion_id: str, *, for_update: bool = False) -> Suggestion:
    suggestion = await session.get(Suggestion, suggestion_id, with_for_update=for_update or None)
    if suggestion is None:
        raise NotFound(f"No suggestion {suggestion_id}.")
    return suggestion


async def signers_of(session: AsyncSession, suggestion_id: str) -> list[SuggestionSigner]:
    query = select(SuggestionSigner).where(SuggestionSigner.suggestion_id == suggestion_id)
    return list((await session.execute(query.order_by(SuggestionSigner.position))).scalars())


def co_organisations(suggestion: Suggestion) -> list[str]:
    return [code for code in suggestion.co_organisations.split(",") if code]


def relations(suggestion: Suggestion, signers: Iterable[SuggestionSigner], principal: Principal) -> set[str]:
    """What the caller is to this suggestion: its lead deputy, a co-signer yet to sign, a deputy on it, the
    office, an officer of its lead or of a co-organisation. A role alone makes nobody anything here."""
    found: set[str] = set()
    if principal.has(Role.deputy) and principal.deputy_id:
        for signer in signers:
            if signer.deputy_id != principal.deputy_id:
                continue
            if signer.lead:
                found.add(rules.LEAD)
            found.add(rules.DEPUTY if signer.signed_at is not None else rules.SIGNER)
    if principal.has(Role.npc_office):
        found.add(rules.OFFICE)
    if principal.has(Role.agency_officer) and principal.organisation:
        if principal.organisation == suggestion.lead_organisation:
            found.add(rules.LEAD_ORG)
        if principal.organisation in co_organisations(suggestion):
            found.add(rules.CO_ORG)
    return found


async def take(
    session: AsyncSession, suggestion: Suggestion, action: str, principal: Principal
) -> tuple[rules.Step, list[SuggestionSigner]]:
    """Check that the caller may take `action` now; returns the step and the suggestion's deputies."""
    signers = await signers_of(session, suggestion.id)
    return rules.check(suggestion.state, action, relations(suggestion, signers, principal)), signers


def event_fields(suggestion: Suggestion, signers: list[SuggestionSigner], at: datetime) -> dict[str, Any]:
    return {
        "suggestion_id": suggestion.id,
        "title": suggestion.title,
        "kind": suggestion.kind,
        "state": suggestion.state,
        "deputy_ids": [signer.deputy_id for signer in signers],
        "lead_organisation": suggestion.lead_organisation,
        "co_organisations": co_organisations(suggestion),
        "due_at": suggestion.due_at,
        "round": suggestion.round,
        "public": suggestion.public,
        "at": at,
    }


async def emit(
    session: AsyncSession,
    runtime: ServiceRuntime,
    event: type[SuggestionStepped],
    suggestion: Suggestion,
    signers: list[SuggestionSigner],
    **extra: Any,
) -> None:
    payload = event(**event_fields(suggestion, signers, suggestion.updated_at), **extra)
    await runtime.emit(session, payload, subject=suggestion.id)


async def _evidence(
    session: AsyncSession, deputy_id: str, refs: list[EvidenceRef], suggestion_id: str
) -> list[SuggestionEvidence]:
    """The cited cases (from the lead deputy's inbox) and records (from their record of duty), each with its
    public summary: a case's category, a record's redacted summary."""
    found: dict[tuple[str, str], SuggestionEvidence] = {}
    for ref in refs:
        if ref.source == "case":
            case = await session.get(InboxCase, (deputy_id, ref.id))
            if case is None:
                raise Unprocessable(f"Case {ref.id} is not in your inbox.")
            values = {"kind": case.kind, "summary": case.category, "grid_id": case.grid_id, "at": case.submitted_at}
        else:
            record = await session.get(DutyRecord, ref.id)
            if record is None or record.deputy_id != deputy_id or record.kind not in EVIDENCE_RECORDS:
                raise Unprocessable(f"Record {ref.id} is not a reception record or a visit of yours.")
            summary = public_summary(record.kind, record.summary)
            values = {"kind": record.kind, "summary": summary, "grid_id": record.grid_id, "at": record.occurred_at}
        found[(ref.source, ref.id)] = SuggestionEvidence(
            suggestion_id=suggestion_id,
            source=ref.source,
            ref_id=ref.id,
            kind=values["kind"],
            summary=values["summary"][:200],
            grid_id=values["grid_id"],
            occurred_at=values["at"],
        )
    return list(found.values())


async def _write(
    session: AsyncSession, suggestion: Suggestion, data: SuggestionDraft, lead_id: str, now: datetime
) -> None:
    """Put the draft's words, deputies and evidence on the suggestion. The co-signers sign the words: any edit
    asks them to sign again."""
    if lead_id in data.cosigner_ids:
        raise Unprocessable("The lead deputy is not their own co-signer.")
    for deputy_id in data.cosigner_ids:
        await active_deputy(session, deputy_id, f"Deputy {deputy_id} is retired.")
    for grid_id in data.grid_ids:
        await require_known_grid(session, grid_id)
    evidence = await _evidence(session, lead_id, data.evidence, suggestion.id)
    suggestion.title, suggestion.problem, suggestion.proposal = data.title, data.problem, data.proposal
    suggestion.kind, suggestion.grid_ids = data.kind.value, ",".join(data.grid_ids)
    suggestion.updated_at = now
    await session.execute(delete(SuggestionSigner).where(SuggestionSigner.suggestion_id == suggestion.id))
    await session.execute(delete(SuggestionEvidence).where(SuggestionEvidence.suggestion_id == suggestion.id))
    session.add(SuggestionSigner(suggestion_id=suggestion.id, deputy_id=lead_id, lead=True, position=0, signed_at=now))
    for position, deputy_id in enumerate(data.cosigner_ids, start=1):
        session.add(SuggestionSigner(suggestion_id=suggestion.id, deputy_id=deputy_id, position=position))
    session.add_all(evidence)
    await session.flush()


async def draft(session: AsyncSession, runtime: ServiceRuntime, data: SuggestionDraft, *, by: Principal) -> Suggestion:
    """A deputy drafts a suggestion and leads it."""
    if not (by.has(Role.deputy) and by.deputy_id):
        raise Forbidden("Only a deputy drafts a suggestion.")
    await active_deputy(session, by.deputy_id, "A retired deputy makes no suggestions.")
    now = now_of(runtime)
    suggestion = Suggestion(
        id=str(uuid.uuid4()),
        state="draft",
        lead_deputy_id=by.deputy_id,
        created_at=now,
        updated_at=now,
        title="",
        problem="",
        proposal="",
        kind="suggestion",
    )
    session.add(suggestion)
    await _write(session, suggestion, data, by.deputy_id, now)
    await audit.record(session, by, "deputy.suggestion.draft", "suggestion", suggestion.id)
    return suggestion


async def edit(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, data: SuggestionDraft, *, by: Principal
) -> None:
    """The lead deputy rewrites a draft, or a suggestion the office returned."""
    await take(session, suggestion, "edit", by)
    await _write(session, suggestion, data, suggestion.lead_deputy_id, now_of(runtime))
    await audit.record(session, by, "deputy.suggestion.edit", "suggestion", suggestion.id)


async def sign(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, _: object, *, by: Principal
) -> None:
    """A deputy named on a draft signs it (附议)."""
    _step, signers = await take(session, suggestion, "sign", by)
    now = now_of(runtime)
    for signer in signers:
        if signer.deputy_id == by.deputy_id:
            signer.signed_at = now
    suggestion.updated_at = now
    await audit.record(session, by, "deputy.suggestion.sign", "suggestion", suggestion.id)


async def submit(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, _: object, *, by: Principal
) -> None:
    """The lead deputy submits it to the NPC office once every co-signer has signed."""
    step, signers = await take(session, suggestion, "submit", by)
    if any(signer.signed_at is None for signer in signers):
        raise Conflict("Not every co-signer has signed yet.", current_status=suggestion.state)
    now = now_of(runtime)
    suggestion.state, suggestion.submitted_at, suggestion.updated_at = step.target or "", now, now
    cases = (
        await session.execute(
            select(SuggestionEvidence.ref_id).where(
                SuggestionEvidence.suggestion_id == suggestion.id, SuggestionEvidence.source == "case"
            )
        )
    ).scalars()
    await emit(session, runtime, SuggestionSubmitted, suggestion, signers, case_ids=list(cases))
    await audit.record(session, by, "deputy.suggestion.submit", "suggestion", suggestion.id)


async def credit(session: AsyncSession, suggestion: Suggestion, deputy_ids: Iterable[str]) -> None:
    """An accepted suggestion on each of its deputies' record of duty: the year's good suggestion (五个一) and,
    once however many signed it, a suggestion in the statistics."""
    grid_ids = [grid_id for grid_id in suggestion.grid_ids.split(",") if grid_id]
    for deputy_id in deputy_ids:
        await record_once(
            session,
            deputy_id,
            "suggestion",
            f"suggestion:{suggestion.id}",
            occurred_at=suggestion.accepted_at,
            grid_id=grid_ids[0] if grid_ids else None,
            metric="suggestions",
            five_one="suggestion",
            summary=suggestion.title[:200],
        )


async def accept(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, _: object, *, by: Principal
) -> None:
    """The office accepts it (立案): it is a suggestion made, to be assigned."""
    step, signers = await take(session, suggestion, "accept", by)
    now = now_of(runtime)
    suggestion.state, suggestion.accepted_at, suggestion.updated_at = step.target or "", now, now
    suggestion.reason = None
    await credit(session, suggestion, [signer.deputy_id for signer in signers])
    cases = await session.execute(
        select(SuggestionEvidence.ref_id).where(
            SuggestionEvidence.suggestion_id == suggestion.id, SuggestionEvidence.source == "case"
        )
    )
    await emit(session, runtime, SuggestionAccepted, suggestion, signers, case_ids=list(cases.scalars()))
    await audit.record(session, by, "deputy.suggestion.accept", "suggestion", suggestion.id)


async def return_(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, data: SuggestionReason, *, by: Principal
) -> None:
    """The office returns it to the deputy with a reason; the deputy may rewrite and submit it again."""
    step, signers = await take(session, suggestion, "return", by)
    suggestion.state, suggestion.reason, suggestion.updated_at = step.target or "", data.reason, now_of(runtime)
    await emit(session, runtime, SuggestionReturned, suggestion, signers, reason=data.reason)
    await audit.record(session, by, "deputy.suggestion.return", "suggestion", suggestion.id)


async def carry_evidence(session: AsyncSession, from_id: str, into_id: str) -> list[str]:
    """What the merged suggestion rests on becomes the target's too (its page lists it, its acceptance cites the
    cases); returns the cited case ids."""
    held = {
        (row.source, row.ref_id)
        for row in (
            await session.execute(select(SuggestionEvidence).where(SuggestionEvidence.suggestion_id == into_id))
        ).scalars()
    }
    rows = (
        await session.execute(select(SuggestionEvidence).where(SuggestionEvidence.suggestion_id == from_id))
    ).scalars()
    case_ids = []
    for row in rows:
        if row.source == "case":
            case_ids.append(row.ref_id)
        if (row.source, row.ref_id) in held:
            continue
        session.add(
            SuggestionEvidence(
                suggestion_id=into_id,
                source=row.source,
                ref_id=row.ref_id,
                kind=row.kind,
                summary=row.summary,
                grid_id=row.grid_id,
                occurred_at=row.occurred_at,
            )
        )
    return case_ids


async def merge(
    session: AsyncSession, runtime: ServiceRuntime, suggestion: Suggestion, data: SuggestionMerge, *, by: Principal
) -> None:
    """The office merges it into a similar suggestion (并案): its deputies join that one's, which answers both."""
    step, signers = await take(session, suggestion, "merge", by)
    if data.into_id == suggestion.id:
        raise Unprocessable("A suggestion is not merged into itself.")
    target = await get_suggestion(session, data.into_id, for_update=True)
    if target.state not in rules.ACCEPTED_STATES | {"submitted"} or target.state == "completed":
        raise Conflict(
            "It may be merged into a suggestion submitted or being handled only.", current_status=target.state
        )
    now = now_of(runtime)
    joined = {signer.deputy_id for signer in await signers_of(session, target.id)}
    newcomers = [signer.deputy_id for signer in signers if signer.deputy_id not in joined]
    for position, deputy_id in enumerate(newcomers, start=len(joined)):
        session.add(SuggestionSigner(suggestion_id=target.id, deputy_id=deputy_id, position=position, signed_at=now))
    if target.state in rules.ACCEPTED_STATES:
        await credit(session, target, newcomers)
    suggestion.state, suggestion.merged_into_id, suggestion.reason = step.target or "", target.id, data.reason
    suggestion.updated_at = target.updated_at = now
    case_ids = await carry_evidence(session, suggestion.id, target.id)
    await emit(
        session,
        runtime,
        SuggestionMerged,
        suggestion,
        signers,
        into_id=target.id,
        case_ids=case_ids,
        into_title=target.title,
        into_public=target.public,
        into_accepted=target.state in rules.ACCEPTED_STATES,
    )
    await audit.record(session, by, "deputy.suggestion.merge", "suggestion", suggestion.id, into_id=target.id)
