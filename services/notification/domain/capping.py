"""At most N messages an hour to a person on a channel (NOTIFY_HOURLY_CAP): the rest of that clock hour wait,
folded into one summary ("and 5 more: open the app") sent when the next hour begins.

A message is one event to one recipient: the same event on a person's two devices is one message (each device
gets it, or each gets the summary). An hour is a clock hour (Beijing hours begin with UTC's). Urgent cases are
never folded, nor are a summary, a retry or a resend of a message in doubt (each was let through once), but all
of them count. Folding is decided when the sender claims what is due, in the claim's transaction."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

CAPPED_CHANNELS = ("push", "sms")
"""The channels that reach a person; the in-app list is not capped."""


@dataclass(frozen=True)
class Candidate:
    """A message the sender is about to send, in the order it would be sent."""

    id: str
    recipient: str
    channel: str
    event_id: str
    foldable: bool  # a first attempt of a notice that is not urgent and not a summary
    counts: bool = True  # False for one that will not be sent (turned off by the recipient)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def next_hour(moment: datetime) -> datetime:
    return hour_of(moment) + timedelta(hours=1)


def over_cap(candidates: list[Candidate], sent: dict[tuple[str, str], set[str]], cap: int) -> set[str]:
    """The candidates to fold. `sent` holds, per (recipient, channel), the events already sent (or being sent)
    to that person this hour."""
    seen = {key: set(events) for key, events in sent.items()}
    folded_events: set[tuple[str, str, str]] = set()
    folded: set[str] = set()
    for item in candidates:
        if item.channel not in CAPPED_CHANNELS or not item.counts:
            continue
        key = (item.recipient, item.channel)
        events = seen.setdefault(key, set())
        if item.event_id in events:
            continue  # the same message on another device
        if (*key, item.event_id) in folded_events or (item.foldable and len(events) >= cap):
            folded.add(item.id)
            folded_events.add((*key, item.event_id))
            continue
        events.add(item.event_id)
    return folded


def summary_key(recipient: str, channel: str, target: str, hour: datetime) -> str:
    """The summary's event key: one per person, channel, device and hour."""
    text = f"summary\n{recipient}\n{channel}\n{target}\n{hour.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()
