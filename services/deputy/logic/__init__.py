"""The deputy service's use cases over a database session: deputies (register, change, retire), the record of
duty (a deputy's own entries), household support pairs and the visits to them. Each stages its events in the
caller's transaction; the route commits."""
