"""The year's suggestions and their answers as a spreadsheet (shared.sheets_out), for the NPC office's file and
annual report: one row per answer round (a suggestion not yet answered has one row, its answer cells empty), by
the day submitted. Rows only: the route has decided who may have them."""

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.deputy.domain.periods import year_range
from services.deputy.models import Deputy, Suggestion, SuggestionAnswer, SuggestionSigner
from shared.sheets_out import Column, Language, words

KIND_WORDS = {"suggestion": ("建议", "Suggestion"), "criticism": ("批评", "Criticism"), "opinion": ("意见", "Opinion")}
STATE_WORDS = {
    "submitted": ("待审查", "Submitted"),
    "returned": ("已退回", "Returned"),
    "merged": ("已并案", "Merged"),
    "accepted": ("已立案", "Accepted"),
    "assigned": ("办理中", "Assigned"),
    "reassignment_requested": ("申请调整交办", "Reassignment requested"),
    "answered": ("已答复", "Answered"),
    "dissatisfied": ("代表不满意", "Dissatisfied"),
    "rehandling": ("重新办理", "Re-handling"),
    "planned": ("列入计划", "Planned"),
    "completed": ("已办结", "Completed"),
}
CLASS_WORDS = {
    "solved": ("解决或采纳", "Solved or adopted"),
    "planned": ("列入计划", "Planned"),
    "cannot_now": ("暂不能解决", "Cannot be solved now"),
    "reference": ("留作参考", "For reference"),
}
RATING_WORDS = {
    "satisfied": ("满意", "Satisfied"),
    "basically_satisfied": ("基本满意", "Basically satisfied"),
    "dissatisfied": ("不满意", "Dissatisfied"),
}
SUGGESTION_COLUMNS = [
    Column("编号", "Id", width=38),
    Column("标题", "Title", width=30),
    Column("类别", "Kind", width=8),
    Column("状态", "State", width=12),
    Column("领衔代表", "Lead deputy", width=10),
    Column("联名代表", "Co-signers", width=20),
    Column("主办单位", "Lead organisation", width=16),
    Column("协办单位", "Co-organisations", width=20),
    Column("提交时间", "Submitted", "datetime", 18),
    Column("立案时间", "Accepted", "datetime", 18),
    Column("交办时间", "Assigned", "datetime", 18),
    Column("办理轮次", "Round", "int", 8),
    Column("答复期限", "Due", "datetime", 18),
    Column("答复时间", "Answered", "datetime", 18),
    Column("按期答复", "On time", "bool", 8),
    Column("答复类别", "Answer class", width=12),
    Column("答复内容", "Answer", width=40),
    Column("承诺办结日期", "Promised on", "date", 12),
    Column("代表评价", "Rating", width=10),
    Column("办结时间", "Completed", "datetime", 18),
    Column("公开", "Public", "bool", 6),
]


def _word(table: dict[str, tuple[str, str]], code: str | None, language: Language) -> str | None:
    """The code in the reader's words; an empty cell for none."""
    if code is None:
        return None
    return words(language, *table[code]) if code in table else code


async def _people(session: AsyncSession, ids: list[str]) -> tuple[dict[str, list[SuggestionSigner]], dict[str, str]]:
    signers: dict[str, list[SuggestionSigner]] = defaultdict(list)
    query = select(SuggestionSigner).where(SuggestionSigner.suggestion_id.in_(ids)).order_by(SuggestionSigner.position)
    for signer in (await session.execute(query)).scalars():
        signers[signer.suggestion_id].append(signer)
    deputy_ids = {signer.deputy_id for group in signers.values() for signer in group}
    names = dict((await session.execute(select(Deputy.id, Deputy.name).where(Deputy.id.in_(deputy_ids)))).all())
    return signers, names


def _row(
    suggestion: Suggestion,
    answer: SuggestionAnswer | None,
    signers: list[SuggestionSigner],
    names: dict[str, str],
    language: Language,
) -> list[Any]:
    lead = [names.get(s.deputy_id, "") for s in signers if s.lead]
    others = [names.get(s.deputy_id, "") for s in signers if not s.lead]
    answered_at: datetime | None = answer.answered_at if answer else None
    return [
        suggestion.id,
        suggestion.title,
        _word(KIND_WORDS, suggestion.kind, language),
        _word(STATE_WORDS, suggestion.state, language),
        "、".join(lead),
        "、".join(others) or None,
        suggestion.lead_organisation,
        "、".join(code for code in suggestion.co_organisations.split(",") if code) or None,
        suggestion.submitted_at,
        suggestion.accepted_at,
        suggestion.assigned_at,
        answer.round if answer else None,
        answer.due_at if answer else suggestion.due_at,
        answered_at,
        (answered_at <= answer.due_at) if answer and answered_at else None,
        _word(CLASS_WORDS, answer.answer_class, language) if answer else None,
        (answer.text or answer.reason) if answer else None,
        answer.promised_on if answer else None,
        _word(RATING_WORDS, answer.rating, language) if answer else None,
        suggestion.completed_at,
        suggestion.public,
    ]


async def suggestion_rows(session: AsyncSession, year: int, language: Language) -> AsyncIterator[list[list[Any]]]:
    """The suggestions submitted in the year (China time) in the order submitted, one row per answer round."""
    starts, ends = year_range(year)
    query = (
        select(Suggestion)
        .where(Suggestion.submitted_at >= starts, Suggestion.submitted_at < ends)
        .order_by(Suggestion.submitted_at, Suggestion.id)
    )
    suggestions = list((await session.execute(query)).scalars())
    ids = [suggestion.id for suggestion in suggestions]
    answers: dict[str, list[SuggestionAnswer]] = defaultdict(list)
    if ids:
        rounds = (
            select(SuggestionAnswer).where(SuggestionAnswer.suggestion_id.in_(ids)).order_by(SuggestionAnswer.round)
        )
        for answer in (await session.execute(rounds)).scalars():
            answers[answer.suggestion_id].append(answer)
    signers, names = await _people(session, ids) if ids else ({}, {})
    rows = [
        _row(suggestion, answer, signers.get(suggestion.id, []), names, language)
        for suggestion in suggestions
        for answer in (answers[suggestion.id] or [None])
    ]
    yield rows
