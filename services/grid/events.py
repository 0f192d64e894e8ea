"""The grid publishes grid.* events (see logic) and, for now, listens to nothing."""

from shared.events.bus import Handler

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {}
