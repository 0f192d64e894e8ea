"""Who may do what on the bus: one NATS user per service, its subject permissions derived from one table.

The table is the event catalogue's streams (which service publishes which subject prefix: `PUBLISHERS`) and
which streams each service consumes (each service's `events.SUBSCRIPTIONS`, gathered by devstack and
deploy/render_k8s, which may import the services). From it:

- a service publishes its own subjects only (`case.>` for case_intake, and `contact.>`: its private stream of
  villagers' SMS numbers, which only the notification service consumes), its dead letters
  (`deadletter.<service>.>`), and the JetStream API calls its bus makes: create, update and read its own stream,
  create the dead-letter stream and the streams it consumes when they are missing (create only: a stream
  that exists with another configuration is refused to it, and its publisher sets the configuration back
  when it starts), and for each stream it consumes: create, read and pull from its own durable consumer
  (named after the service), and acknowledge what that consumer delivered;
- it subscribes to its own inbox subjects only (`_INBOX.<service>.>`: the replies of its JetStream requests
  and the messages its pull consumers deliver). Nothing else: it cannot read a stream it does not consume
  (no consumer there, no direct get, no core subscription), and it cannot forge another service's events;
- the gateway reads CASE and GRID with durable consumers of its own like a service (for integrators' webhooks
  and feed), and its live feed also subscribes to `case.>`; it publishes into IDENTITY only (`identity.>`: a
  person's erasure, from the accounts it keeps);
- the operator (backups, dead letters, the tests' stand-ins for other services) may do anything; no process
  of the system uses it.

There is no anonymous user: a connection without a user and password is refused.
"""

from collections.abc import Iterable, Mapping

from shared.messaging.catalogue import STREAMS

DEAD_LETTER_STREAM = "DEADLETTER"
DEAD_LETTER_PREFIX = "deadletter"
LIVE_FEED_USER = "gateway"
LIVE_FEED_SUBJECT = "case.>"
OPERATOR = "operator"

PUBLISHERS: dict[str, str] = {
    "GRID": "grid",
    "DEPUTY": "deputy",
    "CASE": "case_intake",
    "STATION": "station_scheduling",
    "FUNDING": "micro_funding",
    "IDENTITY": "gateway",
    "CONTACT": "case_intake",
    "RECEPTION": "station_scheduling",
}
"""Stream -> the one service that publishes into it (its subjects: `STREAMS[stream] + ".>"`)."""

Permissions = dict[str, dict[str, list[str]]]
"""A nats-server `permissions` block: {"publish": {"allow"|"deny": [...]}, "subscribe": {...}}."""


def inbox_prefix(user: str) -> str:
    """The inbox prefix of a user's connection: its replies and pull deliveries come on `<prefix>.>`."""
    return f"_INBOX.{user}"


def own_streams(service: str) -> list[str]:
    """The streams a service publishes into (none, one, or its public stream and a private one)."""
    return [stream for stream, publisher in PUBLISHERS.items() if publisher == service]


def service_permissions(service: str, consumes: Iterable[str]) -> Permissions:
    """What one service may publish and subscribe to, given the streams it consumes."""
    api = "$JS.API"
    publish = []
    for stream in own_streams(service):
        publish += [
            f"{STREAMS[stream]}.>",
            f"{api}.STREAM.CREATE.{stream}",
            f"{api}.STREAM.UPDATE.{stream}",
            f"{api}.STREAM.INFO.{stream}",
            f"{api}.STREAM.MSG.GET.{stream}",  # reading back what it published itself
        ]
    publish.append(f"$JS.API.STREAM.CREATE.{DEAD_LETTER_STREAM}")
    for stream in sorted(set(consumes)):
        if stream not in STREAMS:
            raise ValueError(f"{service} consumes {stream!r}, which is no stream of the catalogue")
        if PUBLISHERS[stream] == service:
            raise ValueError(f"{service} consumes its own stream {stream}")
        publish += [
            f"{api}.STREAM.CREATE.{stream}",
            f"{api}.CONSUMER.DURABLE.CREATE.{stream}.{service}",
            f"{api}.CONSUMER.CREATE.{stream}.{service}",
            f"{api}.CONSUMER.CREATE.{stream}.{service}.>",
            f"{api}.CONSUMER.INFO.{stream}.{service}",
            f"{api}.CONSUMER.MSG.NEXT.{stream}.{service}",
            f"$JS.ACK.{stream}.{service}.>",
        ]
    if consumes:
        publish.append(f"{DEAD_LETTER_PREFIX}.{service}.>")
    return {"publish": {"allow": publish}, "subscribe": {"allow": [f"{inbox_prefix(service)}.>"]}}


def bus_permissions(consumes: Mapping[str, Iterable[str]]) -> dict[str, Permissions]:
    """Every user of the bus: each service and the gateway (`consumes`: process -> the streams it consumes),
    the gateway's live feed, and the operator."""
    missing = set(PUBLISHERS) ^ set(STREAMS)
    if missing:
        raise ValueError(f"streams without a publisher, or publishers without a stream: {sorted(missing)}")
    users = {service: service_permissions(service, streams) for service, streams in consumes.items()}
    for stream, publisher in PUBLISHERS.items():
        if publisher not in users:
            raise ValueError(f"{publisher}, the publisher of {stream}, is not a user of the bus")
    gateway = users.get(LIVE_FEED_USER) or {"publish": {"deny": [">"]}, "subscribe": {"allow": []}}
    gateway["subscribe"]["allow"].append(LIVE_FEED_SUBJECT)
    users[LIVE_FEED_USER] = gateway
    users[OPERATOR] = {"publish": {"allow": [">"]}, "subscribe": {"allow": [">"]}}
    return users


def authorization_block(permissions: Mapping[str, Permissions], passwords: Mapping[str, str]) -> str:
    """The `authorization { users = [...] }` block of a nats-server configuration.

    `passwords` maps each user to its password as it goes into the file: a quoted literal (development: the
    file lives beside the generated passwords) or an unquoted `$VARIABLE` the server reads from its environment
    (deploy/: the passwords come from secrets).
    """
    lines = ["authorization {", "  users = ["]
    for user, allowed in permissions.items():
        lines.append(f"    {{user: {_quoted(user)}, password: {passwords[user]}, permissions: {{")
        for direction in ("publish", "subscribe"):
            rules = ", ".join(f"{kind}: [{_list(subjects)}]" for kind, subjects in allowed[direction].items())
            lines.append(f"      {direction}: {{{rules}}}")
        lines.append("    }}")
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def password_variable(user: str) -> str:
    """The environment variable a deployed nats-server reads a user's password from."""
    return f"NATS_PASSWORD_{user.upper()}"


def _list(subjects: list[str]) -> str:
    return ", ".join(map(_quoted, subjects))


def _quoted(text: str) -> str:
    if any(char in text for char in '"\\\n'):
        raise ValueError(f"{text!r} cannot go into a nats-server configuration")
    return f'"{text}"'
