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
