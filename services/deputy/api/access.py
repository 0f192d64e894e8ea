"""Who sees what of a deputy, and who may act for one: the deputy themself, or the roles a route names."""

from shared.auth import Principal, Role
from shared.errors import Forbidden

OFFICIALS = (Role.deputy, Role.station_staff, Role.agency_officer, Role.npc_office, Role.finance)
OFFICE_OR_STAFF = (Role.npc_office, Role.station_staff)


def is_self(principal: Principal | None, deputy_id: str) -> bool:
    return principal is not None and principal.has(Role.deputy) and principal.deputy_id == deputy_id


def view_of(principal: Principal | None, deputy_id: str, *, single: bool) -> str:
    """public (villagers, the public) · masked (officials, and every list) · full (the office or the deputy, one)."""
    if principal is None or not principal.has(*OFFICIALS):
        return "public"
    if single and (principal.has(Role.npc_office) or is_self(principal, deputy_id)):
        return "full"
    return "masked"


def may_see_private(principal: Principal | None, deputy_id: str) -> bool:
    """The private details of a record of duty: the deputy, the office and station staff."""
    return is_self(principal, deputy_id) or (principal is not None and principal.has(*OFFICE_OR_STAFF))


def require_self_or(principal: Principal, deputy_id: str, *roles: Role) -> None:
    if not (is_self(principal, deputy_id) or principal.has(*roles)):
        raise Forbidden("Only the deputy themself or the office may do this.")
