"""The stages of a micro-project and who may move it, with no I/O.

draft → submitted → screened → deliberated → in_notice → funded → in_progress → accepted → evaluated → published;
rejected and withdrawn (with a reason) at any point before funding; an upheld objection during the notice
sends the project back to draft.
"""

from dataclasses import dataclass

from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden

BEFORE_FUNDING = ("draft", "submitted", "screened", "deliberated", "in_notice")
PUBLIC = ("in_notice", "funded", "in_progress", "accepted", "evaluated", "published")
DISBURSABLE = ("funded", "in_progress", "accepted", "evaluated")
RELEASABLE = ("funded", "in_progress", "accepted", "evaluated", "published")
RATEABLE = ("accepted", "evaluated")
REPORTABLE = ("funded", "in_progress")


@dataclass(frozen=True)
class Step:
    """An action: the stages it starts from, the stage it leads to, and the roles that may take it."""

    sources: tuple[str, ...]
    target: str
    roles: tuple[Role, ...]
    owner_only: bool = False


STEPS: dict[str, Step] = {
    "submit": Step(("draft",), "submitted", (Role.deputy,), owner_only=True),
    "screen": Step(("submitted",), "screened", (Role.station_staff,)),
    "deliberate": Step(("screened",), "deliberated", (Role.npc_office,)),
    "notice": Step(("deliberated",), "in_notice", (Role.npc_office,)),
    "return": Step(("in_notice",), "draft", (Role.npc_office,)),
    "approve": Step(("in_notice",), "funded", (Role.npc_office,)),
    "start": Step(("funded",), "in_progress", (Role.deputy, Role.station_staff)),
    "accept": Step(("in_progress",), "accepted", (Role.npc_office, Role.station_staff)),
    "evaluate": Step(("accepted",), "evaluated", (Role.villager,)),
    "publish": Step(("evaluated",), "published", (Role.npc_office,)),
    "reject": Step(
        ("submitted", "screened", "deliberated", "in_notice"), "rejected", (Role.station_staff, Role.npc_office)
    ),
    "withdraw": Step(BEFORE_FUNDING, "withdrawn", (Role.deputy,), owner_only=True),
}

REJECT_BY_STAFF = ("submitted",)
"""Station staff screen, so they may reject only what waits for screening; the NPC office any time before funding."""


def acting_role(principal: Principal, roles: tuple[Role, ...]) -> Role:
    """The first of `roles` the caller has (recorded on the timeline), or 403."""
    for role in roles:
        if role in principal.roles:
            return role
    raise Forbidden("Your role may not do this.")


def is_owner(principal: Principal, deputy_id: str) -> bool:
    return Role.deputy in principal.roles and principal.deputy_id is not None and principal.deputy_id == deputy_id


def authorise(action: str, principal: Principal, *, deputy_id: str, status: str) -> Role:
    """Check that `principal` may take `action` on a project of `deputy_id` now in `status`; returns the role.

    A deputy acting as such must be the project's own deputy where the step says so (and for reporting progress).
    """
    step = STEPS[action]
    role = acting_role(principal, step.roles)
    if role == Role.deputy and (step.owner_only or action == "start") and not is_owner(principal, deputy_id):
        raise Forbidden("Only the deputy who proposed this project may do this.")
    if action == "reject" and role == Role.station_staff and status not in REJECT_BY_STAFF:
        role = acting_role(principal, (Role.npc_office,))
    return role


def check_source(action: str, status: str) -> str:
    """The stage `action` leads to from `status`, or 409 when the project is not in a stage it starts from."""
    step = STEPS[action]
    if status not in step.sources:
        raise Conflict(f"The step '{action}' needs a project in {' or '.join(step.sources)}; this one is {status}.")
    return step.target
