"""The stages of a micro-project and who may move it, with no I/O.

draft → submitted → screened → deliberated → in_notice → funded → in_progress → accepted → evaluated → published;
rejected and withdrawn (with a reason) at any point before funding; an upheld objection during the notice
sends the project back to draft.

Roles are named by their values (`shared.auth.Role` is a StrEnum of these names, and lives beside the web
framework, which the rules do not import); a caller is anything with `subject`, `roles` and `deputy_id`.

Separation of duties: whoever proposed a project — the account that drafted it, or any account acting for its
deputy, whatever other roles it holds — takes none of the steps that check, fund or judge it (`CHECKS`).
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared import i18n
from shared.errors import Conflict, Forbidden

DEPUTY, STATION_STAFF, NPC_OFFICE, VILLAGER = "deputy", "station_staff", "npc_office", "villager"

BEFORE_FUNDING = ("draft", "submitted", "screened", "deliberated", "in_notice")
PUBLIC = ("in_notice", "funded", "in_progress", "accepted", "evaluated", "published")
FUNDED = ("funded", "in_progress", "accepted", "evaluated", "published")
DISBURSABLE = ("funded", "in_progress", "accepted", "evaluated")
RELEASABLE = ("funded", "in_progress", "accepted", "evaluated", "published")
RATEABLE = ("accepted", "evaluated")
REPORTABLE = ("funded", "in_progress")


class Caller(Protocol):
    """Who acts (a `shared.auth.Principal`): the account, the names of their roles and the deputy they act for."""

    @property
    def subject(self) -> str: ...

    @property
    def roles(self) -> Collection[str]: ...

    @property
    def deputy_id(self) -> str | None: ...


@dataclass(frozen=True)
class Step:
    """An action: the stages it starts from, the stage it leads to, and the roles that may take it."""

    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    owner_only: bool = False


STEPS: dict[str, Step] = {
    "submit": Step(("draft",), "submitted", (DEPUTY,), owner_only=True),
    "screen": Step(("submitted",), "screened", (STATION_STAFF,)),
    "deliberate": Step(("screened",), "deliberated", (NPC_OFFICE,)),
    "notice": Step(("deliberated",), "in_notice", (NPC_OFFICE,)),
    "return": Step(("in_notice",), "draft", (NPC_OFFICE,)),
    "approve": Step(("in_notice",), "funded", (NPC_OFFICE,)),
    "start": Step(("funded",), "in_progress", (DEPUTY, STATION_STAFF)),
    "accept": Step(("in_progress",), "accepted", (NPC_OFFICE, STATION_STAFF)),
    "evaluate": Step(("accepted",), "evaluated", (VILLAGER,)),
    "publish": Step(("evaluated",), "published", (NPC_OFFICE,)),
    "reject": Step(("submitted", "screened", "deliberated", "in_notice"), "rejected", (STATION_STAFF, NPC_OFFICE)),
    "withdraw": Step(BEFORE_FUNDING, "withdrawn", (DEPUTY,), owner_only=True),
}

CHECKS = {
    "screen": "screen",
    "deliberate": "deliberate on",
    "notice": "open the public notice of",
    "return": "rule on objections to",
    "rule": "rule on objections to",
    "approve": "approve",
    "reject": "reject",
    "accept": "accept (验收)",
    "publish": "publish",
    "disburse": "pay out for",
    "release": "release the money of",
    "evaluate": "rate",
}
"""The steps that check, fund or judge a project, which its proposer never takes (action -> what it does)."""

REJECT_BY_STAFF = ("submitted",)
"""Station staff screen, so they may reject only what waits for screening; the NPC office any time before funding."""


def _role_names(principal: Caller) -> set[str]:
    return {str(role) for role in principal.roles}


def acting_role(principal: Caller, roles: tuple[str, ...]) -> str:
    """The first of `roles` the caller has (recorded on the timeline), or 403."""
    held = _role_names(principal)
    for role in roles:
        if role in held:
            return role
    raise Forbidden("Your role may not do this.")


def is_owner(principal: Caller, deputy_id: str) -> bool:
    return DEPUTY in _role_names(principal) and principal.deputy_id is not None and principal.deputy_id == deputy_id


def is_proposer(principal: Caller, deputy_id: str, owner: str | None) -> bool:
    """The account that drafted the project (`owner`), or any account acting for its deputy, whatever its roles."""
    same_deputy = principal.deputy_id is not None and principal.deputy_id == deputy_id
    return same_deputy or (owner is not None and principal.subject[:64] == owner[:64])


def check_not_proposer(action: str, principal: Caller, *, deputy_id: str, owner: str | None) -> None:
    """403 when the project's proposer would check, fund or judge it (separation of duties)."""
    if action in CHECKS and is_proposer(principal, deputy_id, owner):
        raise Forbidden(
            "Separation of duties: this account proposed the project (for deputy {deputy_id}), "
            "so another official must {action} it.",
            params={"deputy_id": deputy_id, "action": CHECKS[action]},
        )


def authorise(action: str, principal: Caller, *, deputy_id: str, status: str, owner: str | None = None) -> str:
    """Check that `principal` may take `action` on a project of `deputy_id` (drafted by the account `owner`) now
    in `status`; returns the role.

    A deputy acting as such must be the project's own deputy where the step says so (and for reporting progress);
    the proposer takes none of the steps that check, fund or judge the project.
    """
    step = STEPS[action]
    role = acting_role(principal, step.roles)
    check_not_proposer(action, principal, deputy_id=deputy_id, owner=owner)
    if role == DEPUTY and (step.owner_only or action == "start") and not is_owner(principal, deputy_id):
        raise Forbidden("Only the deputy who proposed this project may do this.")
    if action == "reject" and role == STATION_STAFF and status not in REJECT_BY_STAFF:
        role = acting_role(principal, (NPC_OFFICE,))
    return role


def check_source(action: str, status: str) -> str:
    """The stage `action` leads to from `status`, or 409 when the project is not in a stage it starts from."""
    step = STEPS[action]
    if status not in step.sources:
        raise Conflict(
            "The step '{action}' needs a project in {sources}; this one is {status}.",
            params={"action": action, "sources": " or ".join(step.sources), "status": i18n.code("project", status)},
        )
    return step.target


def vote_passes(votes_for: int, votes_against: int) -> bool:
    """A deliberation passes with more votes for than against (abstentions count neither way)."""
    return votes_for > votes_against


def check_objection_open(status: str, notice_ends_at: datetime | None, now: datetime) -> None:
    """Objections are taken while the project is in its public notice, until the notice ends."""
    if status != "in_notice" or notice_ends_at is None:
        raise Conflict(
            "Objections are taken during the public notice; this project is {status}.",
            params={"status": i18n.code("project", status)},
        )
    if now >= notice_ends_at:
        raise Conflict("The public notice of this project has ended.")


def check_notice_over(notice_ends_at: datetime | None, now: datetime) -> None:
    """A project is approved only once its public notice has run its course."""
    if notice_ends_at is not None and now < notice_ends_at:
        raise Conflict("The public notice runs until {value}.", params={"value": notice_ends_at.isoformat()})
