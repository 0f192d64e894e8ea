"""Stations publish no events yet (the catalogue has no station.* payload) and listen to nothing."""

from shared.events.bus import Handler

SUBSCRIPTIONS: dict[str, dict[str, Handler]] = {}
