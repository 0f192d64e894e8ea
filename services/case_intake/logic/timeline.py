"""The timeline: every change of status goes through `move`, which checks the transition table (403/409), writes
the step (who, when, why in plain words) and stages the matching `case.case.*.v1` event, all in the caller's
transaction; `note` writes a step that leaves the status as it is. A step an official takes (a deputy handling
the case, staff or the office, an agency's officer) is also written to the audit log as `case.<action>`, with the
account that took it."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import PUBLIC_ROLE, TRANSITIONS, Actor, Who, plan
from services.case_intake.domain.wording import NOTE_LENGTH, REASON_LENGTH, sentence_of, template_of
from services.case_intake.logic.cases import assignees
from services.case_intake.models import Case, CaseTransition
from services.case_intake.runtime import CaseRuntime
from shared import audit
from shared.privacy import redact

AUDITED_FIELDS = ("into_case_id", "organisation")
"""The event fields a step's audit entry also names (ids and codes, never anyone's words)."""
OFFICIAL = frozenset({Actor.handler, Actor.staff, Actor.officer})
"""The standings whose steps are audited and show their account to officials."""


def new_step(
    case: Case,
    *,
    action: str,
    from_status: str | None,
    to_status: str,
    who: Who,
    actor: Actor,
    reason: str,
    at: datetime,
    said: str | None = None,
    link: str | None = None,
) -> CaseTransition:
    """The step `record` writes, made in memory only (the case's version counts it): a filing writes its steps
    itself, with the case, in one statement a table (logic/filing.py)."""
    account = who.principal if actor in OFFICIAL else None
    sentence, sentence_params = template_of(reason)
    step = CaseTransition(
        id=str(uuid.uuid4()),
        case_id=case.id,
        seq=case.version,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=who.subject,
        actor_name=(account.name or None) if account is not None else None,
        actor_role=PUBLIC_ROLE[actor],
        actor_deputy_id=who.deputy_id if actor is Actor.handler else None,
        reason=reason[:REASON_LENGTH],
        sentence=sentence[:300],
        sentence_params=sentence_params or None,
        note=redact(said)[:NOTE_LENGTH] if said else None,
        link=link,
        at=at,
        project_id=None,
        project_stage=None,
    )
    case.version = (case.version or 0) + 1
    return step


async def audit_step(
    session: AsyncSession,
    case: Case,
    step: CaseTransition,
    who: Who,
    actor: Actor,
    detail: dict[str, object] | None = None,
) -> None:
    """An official's step goes to the audit log, as `case.<action>` with the account that took it."""
    account = who.principal if actor in OFFICIAL else None
    if account is not None:
        fields = {
            "from_status": step.from_status,
            "to_status": step.to_status,
            "standing": actor.value,
            **(detail or {}),
        }
        await audit.record(session, account, f"case.{step.action}", "case", case.id, **fields)


async def record(
    session: AsyncSession,
    case: Case,
    *,
    action: str,
    from_status: str | None,
    to_status: str,
    who: Who,
    actor: Actor,
    reason: str,
    at: datetime,
    said: str | None = None,
    detail: dict[str, object] | None = None,
    link: str | None = None,
) -> CaseTransition:
    """Write a step; `reason` is its plain sentence (see wording.say and with_note: the message id and values are
    kept beside the English, to be said in the reader's language), `said` the person's own words in it; an
    official's step goes to the audit log too, with `detail` (ids only)."""
    step = new_step(
        case, action=action, from_status=from_status, to_status=to_status, who=who, actor=actor, reason=reason,
        at=at, said=said, link=link,
    )  # fmt: skip
    session.add(step)
    await audit_step(session, case, step, who, actor, detail)
    return step


async def note(
    session: AsyncSession,
    case: Case,
    action: str,
    who: Who,
    actor: Actor,
    reason: str,
    at: datetime,
    said: str | None = None,
    link: str | None = None,
) -> None:
    """A step on the timeline that does not change the status (a "me too", an answer, a chase, a note, a deputy's
    suggestion citing it, with `link` to its public page)."""
    await record(
        session,
        case,
        action=action,
        from_status=case.status,
        to_status=case.status,
        who=who,
        actor=actor,
        reason=reason,
        at=at,
        said=said,
        link=link,
    )


def check(case: Case, action: str, who: Who) -> Actor:
    """Refuse early (403/409) before an action writes anything else; the standing it is done in."""
    return plan(action, case.status, who.actors)[1]


async def move(
    session: AsyncSession,
    runtime: CaseRuntime,
    case: Case,
    action: str,
    who: Who,
    reason: str,
    at: datetime,
    said: str | None = None,
    **event_fields: object,
) -> CaseTransition:
    """Change the status by the table, put it on the timeline and stage the event (its `note` the sentence alone,
    without the person's words); returns the step."""
    to, actor = plan(action, case.status, who.actors)
    from_status = case.status
    case.status = to
    event = TRANSITIONS[action].event
    deputy_ids = await assignees(session, case.id) if event is not None or action == "dispatch" else []
    detail = {key: event_fields[key] for key in AUDITED_FIELDS if key in event_fields}
    if action == "dispatch":
        detail["deputy_ids"] = deputy_ids
    step = await record(
        session,
        case,
        action=action,
        from_status=from_status,
        to_status=to,
        who=who,
        actor=actor,
        reason=reason,
        at=at,
        said=said,
        detail=detail,
    )
    if event is not None:
        payload = event(
            case_id=case.id,
            tracking_code=case.tracking_code,
            grid_id=case.grid_id,
            kind=case.kind,
            category=case.category,
            from_status=from_status,
            to_status=to,
            deputy_ids=deputy_ids,
            actor_deputy_id=who.deputy_id if actor is Actor.handler else None,
            at=at,
            note=redact(sentence_of(reason)),
            **event_fields,
        )
        await runtime.emit(session, payload, subject=case.id)
    return step
