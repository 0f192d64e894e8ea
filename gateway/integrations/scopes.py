"""What an API key may have of the events: which event types, which townships (its scope)."""

from gateway.models import ApiKey
from shared.errors import Unprocessable
from shared.messaging.catalogue import CASE_TRANSITIONS, CaseAssignedV2, CaseSubmittedV2, CaseSupported

EVENT_TYPES: tuple[str, ...] = tuple(
    payload.event_type for payload in (CaseSubmittedV2, CaseAssignedV2, *CASE_TRANSITIONS, CaseSupported)
)
"""What integrators may subscribe to: a case was filed, got its deputies, moved from one status to another, or
gained supporters. Internal notes, reminders, disputes' mediation and referrals stay inside."""
ALL = "*"


def checked_types(types: list[str]) -> str:
    """The stored form of a key's event types, or 422 naming the ones integrators cannot have."""
    unknown = sorted(set(types) - {*EVENT_TYPES, ALL})
    if unknown:
        raise Unprocessable(
            "Not event types integrators may have: {unknown}.",
            params={"unknown": ", ".join(unknown)},
            allowed=list(EVENT_TYPES),
        )
    return ALL if ALL in types else ",".join(sorted(set(types)))


def types_of(key: ApiKey) -> list[str]:
    types = {item for item in key.event_types.split(",") if item}
    return list(EVENT_TYPES) if ALL in types else sorted(types)


def townships_of(key: ApiKey) -> list[str] | None:
    """The township ids the key may see events of; None: every township."""
    return None if key.townships is None else [item for item in key.townships.split(",") if item]


def in_scope(key: ApiKey, event_type: str, township_id: str | None) -> bool:
    townships = townships_of(key)
    return event_type in types_of(key) and (townships is None or township_id in townships)
