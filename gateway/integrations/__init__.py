"""Integrations: what other systems speak to the gateway — Open311 GeoReport v2 for 311-style hotlines,
live case updates as Server-Sent Events, and the AsyncAPI document of the events for NATS subscribers."""
