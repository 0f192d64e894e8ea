"""The words a case carries to others: each timeline step is the service's sentence, then the person's own words
with long numbers redacted (shared.privacy); events carry the service's sentence alone, never a person's words
or a tracking code."""

from shared.privacy import redact

SUMMARY_LENGTH = 140
REASON_LENGTH = 500
NOTE_LENGTH = 1000


def with_note(sentence: str, note: str | None) -> str:
    """The service's sentence, then the person's own words (phone numbers masked): a timeline step's reason."""
    return f"{sentence}: {redact(note)}"[:REASON_LENGTH] if note else sentence[:REASON_LENGTH]


def summary(description: str) -> str:
    """The start of a case's description, as events and public lists show it."""
    return redact(description[:SUMMARY_LENGTH])


def sentence_of(reason: str) -> str:
    """A step's own sentence, without the person's words `with_note` put after ": " (what events carry)."""
    return reason.split(": ", 1)[0]


ANSWER_CLASSES = {"solved": "解决或采纳", "planned": "列入计划", "cannot_now": "暂不能解决", "reference": "留作参考"}
"""A deputy's suggestion's answer classes (deputy.suggestion.answered.v1), as the villager's timeline says them."""
CITED_UNPUBLISHED = "本案被一位人大代表的建议引用"
"""All a villager's timeline says of a suggestion the office marked not for publication."""


def cited(title: str) -> str:
    return f"写入代表建议：{title}"


def suggestion_answered(title: str, answer_class: str) -> str:
    return f"代表建议已答复（{ANSWER_CLASSES.get(answer_class, answer_class)}）：{title}"


def suggestion_completed(title: str) -> str:
    return f"代表建议办理完毕：{title}"
