"""Deputies' suggestions on the timelines of the cases they cite: a villager sees that their matter went into a
deputy's suggestion (deputy.suggestion.accepted.v1 carries the cited case ids), how the suggestion was answered
and when it was completed, with a link to its public page.

Only the suggestion's title, answer class and id are written, all public: the other cases it cites and its
evidence are never named. A suggestion the office marked not for publication gives one step saying only that the
case was cited, and nothing after it, so nothing of it reaches anyone who may not read it."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain import wording
from services.case_intake.domain.lifecycle import SYSTEM, Actor
from services.case_intake.logic.timeline import note
from services.case_intake.models import Case, CaseSuggestion
from shared.messaging.catalogue import SuggestionAccepted, SuggestionAnswered, SuggestionCompleted, SuggestionMerged

PUBLIC_PAGE = "/api/deputy/suggestions/{id}"
"""The suggestion's public page through the gateway (no sign-in; not found once marked not for publication)."""


async def _step(session: AsyncSession, case: Case, action: str, sentence: str, link: str | None, at: datetime) -> None:
    await note(session, case, action, SYSTEM, Actor.system, sentence, at, link=link)


def _link(payload: SuggestionAccepted | SuggestionAnswered | SuggestionCompleted) -> str | None:
    return PUBLIC_PAGE.format(id=payload.suggestion_id) if payload.public else None


async def _cite(
    session: AsyncSession, suggestion_id: str, title: str, public: bool, case_ids: list[str], at: datetime
) -> None:
    """Remember the cited cases this service holds, and tell each of them (once per suggestion)."""
    link = PUBLIC_PAGE.format(id=suggestion_id) if public else None
    for case_id in dict.fromkeys(case_ids):
        case = await session.get(Case, case_id)
        if case is None or await session.get(CaseSuggestion, (suggestion_id, case_id)) is not None:
            continue
        session.add(CaseSuggestion(suggestion_id=suggestion_id, case_id=case_id))
        sentence = wording.cited(title) if public else wording.CITED_UNPUBLISHED
        await _step(session, case, "suggestion_cited", sentence, link, at)


async def on_accepted(session: AsyncSession, payload: SuggestionAccepted) -> None:
    await _cite(session, payload.suggestion_id, payload.title, payload.public, payload.case_ids, payload.at)


async def on_merged(session: AsyncSession, payload: SuggestionMerged) -> None:
    """A suggestion merged into an accepted one: its cases are cited by that one from now on (and hear of its
    answer and completion). Merged into one still submitted, they are cited when that one is accepted."""
    if payload.into_accepted:
        await _cite(session, payload.into_id, payload.into_title, payload.into_public, payload.case_ids, payload.at)


async def _cases(session: AsyncSession, suggestion_id: str) -> list[Case]:
    query = (
        select(Case)
        .join(CaseSuggestion, CaseSuggestion.case_id == Case.id)
        .where(CaseSuggestion.suggestion_id == suggestion_id)
        .order_by(Case.id)
    )
    return list((await session.execute(query)).scalars())


async def on_answered(session: AsyncSession, payload: SuggestionAnswered) -> None:
    if not payload.public:
        return
    sentence = wording.suggestion_answered(payload.title, payload.answer_class)
    for case in await _cases(session, payload.suggestion_id):
        await _step(session, case, "suggestion_answered", sentence, _link(payload), payload.at)


async def on_completed(session: AsyncSession, payload: SuggestionCompleted) -> None:
    if not payload.public:
        return
    sentence = wording.suggestion_completed(payload.title)
    for case in await _cases(session, payload.suggestion_id):
        await _step(session, case, "suggestion_completed", sentence, _link(payload), payload.at)
