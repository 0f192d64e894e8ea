"""The five services; each owns its data and talks to the others over NATS events."""
