"""reception.issue.*: what a visitor said at a station reception, for the deputies who follow it up (published by
station_scheduling, read by case_intake only).

station.issue.raised.v1 opens the follow-up case and is read by several services, so it carries only the masked
public summary. The deputies who must handle the case need what was raised (当面提), discussed (当面议) and
answered (当面答), and a villager who booked the reception should find the case among their own. Those words and
that account are personal data: they travel on this private stream, which only case intake's NATS user may read
(its permissions follow from `events.SUBSCRIPTIONS`) and which keeps a message only until that consumer
acknowledged it (`EPHEMERAL_STREAMS`), as the CONTACT stream does for a phone number. Case intake keeps the words
with the case, for its handlers and the office only, and erases them with the villager.
"""

from datetime import datetime

from shared.messaging.catalogue.base import EventPayload


class StationIssueHandedOver(EventPayload):
    """The reception record behind the follow-up case `case_id`: the visitor's and the deputies' words, and the
    account that booked the reception (`owner`, a token subject; None for a walk-in)."""

    event_type = "reception.issue.handed.v1"
    record_id: str
    case_id: str
    raised: str
    discussed: str = ""
    answer: str = ""
    owner: str | None = None
    at: datetime
