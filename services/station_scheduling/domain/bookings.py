"""A place at a session: booked ahead (confirmed while places are left, else waitlisted) or taken at the desk.

A cancelled booking frees its place for the first on the waitlist; a cancelled session cancels them all.
"""

from shared.errors import Conflict

ACTIVE_BOOKINGS = ("confirmed", "waitlisted")
"""Bookings still waiting for their session."""
PLACE_TAKEN = ("confirmed", "attended")
"""Bookings that hold one of the session's places."""
PROMOTED = "A place became free: your booking is confirmed."


def booking_status(taken: int, capacity: int, *, waitlist: bool) -> str:
    """A new booking's status: confirmed while places are left, else waitlisted (409 when it may not wait)."""
    full = taken >= capacity
    if full and not waitlist:
        raise Conflict("The session is full.")
    return "waitlisted" if full else "confirmed"
