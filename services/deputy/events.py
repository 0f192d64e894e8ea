"""The deputy service publishes deputy.* events (see logic) and projects case events into inboxes."""

from services.deputy import logic
from shared.events.bus import Handler
from shared.events.catalogue import CaseAssigned, CaseSubmitted

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {
    "CASE": {CaseSubmitted.event_type: logic.on_case_routed, CaseAssigned.event_type: logic.on_case_routed},
}
