"""Station use cases: plain functions over a database session that load, check, change and stage events.

stations (the 1+4+N shape, opening hours) · deputies (who a station's deputies are, from the projections) ·
sessions (scheduling and conflicts) · bookings (capacity, waitlist, walk-ins) · records (what was said face to
face, and the linked case) · rotas · access (who may read a booking or a record) · erasure (a villager erased
on request) · retention (contact data removed after PERSONAL_DATA_RETENTION_DAYS). The rules without I/O are in
`domain`; how things are shown is in `views`.
"""
