"""The words a case carries to others: each timeline step is the service's sentence, then the person's own words
with long numbers redacted (shared.privacy); events carry the service's sentence alone, never a person's words
or a tracking code.

A sentence is said with `say(template, **values)`: an English message id of the catalogue (shared.i18n) and its
values. The step stores the English text (`reason`, what events and the audit carry) and the message id with its
values (`sentence`, `sentence_params`); the timeline is said in the reader's language when it is read (`spoken`).
Why not store both languages: a third language, or a better translation, then needs no rewrite of stored steps,
and the villager who reads in English and the deputy who reads in Chinese see the same step."""

from collections.abc import Mapping
from typing import Any

from shared import i18n
from shared.privacy import redact

SUMMARY_LENGTH = 140
REASON_LENGTH = 500
NOTE_LENGTH = 1000


class Sentence(str):
    """A step's sentence in English that remembers its message id (`template`) and values (`params`)."""

    template: str
    params: dict[str, Any]

    def __new__(cls, text: str, template: str, params: Mapping[str, Any] | None = None) -> "Sentence":
        made = super().__new__(cls, text)
        made.template, made.params = template, dict(params or {})
        return made


def say(template: str, **params: Any) -> Sentence:
    """A timeline sentence: `template` is an English message id of the catalogue, `params` its values (codes
    and numbers; a value that is a message id, such as a phrase marked with N_, is said in the reader's
    language too)."""
    return Sentence(i18n.english(template, params), template, params)


def template_of(reason: str) -> tuple[str, dict[str, Any]]:
    """The message id and values of a step's sentence (a plain string is its own message id)."""
    if isinstance(reason, Sentence):
        return reason.template, reason.params
    return sentence_of(reason), {}


def with_note(sentence: str, note: str | None) -> Sentence:
    """The service's sentence, then the person's own words (phone numbers masked): a timeline step's reason."""
    template, params = template_of(sentence) if isinstance(sentence, Sentence) else (str(sentence), {})
    text = f"{sentence}: {redact(note)}"[:REASON_LENGTH] if note else str(sentence)[:REASON_LENGTH]
    return Sentence(text, template, params)


def spoken(reason: str, template: str | None, params: Mapping[str, Any] | None) -> str:
    """A stored step in the reader's language (shared.i18n.language_var): the sentence said anew, the person's
    words after it as they were. A step written before sentences were kept is said from its English when that
    is a message id; a reason changed since (an erasure's scrub) is shown as stored."""
    template = template or sentence_of(reason)
    english = i18n.english(template, params)
    if not reason.startswith(english):
        return reason
    rest = reason[len(english) :]
    if rest.startswith(": ") and i18n.language_var.get() == "zh":
        rest = "：" + rest[2:]
    return i18n.translate(template, params) + rest


def summary(description: str) -> str:
    """The start of a case's description, as events and public lists show it."""
    return redact(description[:SUMMARY_LENGTH])


def sentence_of(reason: str) -> str:
    """A step's own sentence, without the person's words `with_note` put after ": " (what events carry)."""
    if isinstance(reason, Sentence):
        return i18n.english(reason.template, reason.params)
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
