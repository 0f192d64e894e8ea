"""identity.person.*: what the gateway, which keeps the accounts, tells every service about a person
(published by the gateway).

`identity.person.erased.v1` is the one event that carries a phone number: a villager asked the office to erase
them (PIPL), and every service must find what it keeps under that number too (a case staff filed for a caller,
a walk-in booking), not only under the account. So that the number does not outlive the erasure on the bus, its
stream (IDENTITY) keeps a message only until every consumer acknowledged it (interest retention,
`EPHEMERAL_STREAMS`), and the gateway forgets its outbox row once JetStream stored it.
"""

from datetime import datetime

from shared.messaging.catalogue.base import EventPayload


class PersonErased(EventPayload):
    """Erase a villager everywhere: what is kept under `account_id` (their sign-in) or `phone` (a number they
    gave, or that staff typed for them). Each service removes names, phone numbers, photos, exact points and
    the person's own words, and keeps the anonymised facts its figures count."""

    event_type = "identity.person.erased.v1"
    erasure_id: str
    account_id: str | None
    phone: str | None
    requested_by: str
    """The NPC office account that erased them (each service's audit log names it)."""
    at: datetime
