"""How the station's things are shown: read models built from rows, and the queries of lists that only read.

stations (with their grids and hours) · statistics · sessions (announcements with the deputies on duty and
places taken) · bookings (with masked visitors) · records · rotas · feeds (iCalendar) · personal (what is kept
about the caller).
"""
