"""The money rules of one fund pool, with no I/O: what an entry may do and the balances it leaves.

Accounts: the pool's available money, each project's allocation not yet spent, and the money paid out.
Entries only ever add to the books (append-only); balances are derived by replaying them:

- appropriation  city finance puts money into the pool          pool += amount
- allocation     an approved project is funded from the pool    pool -= amount, project += amount
- disbursement   finance pays out of a project's allocation     project -= amount, paid += amount
- release        unspent allocation goes back to the pool       project -= amount, pool += amount

So at every point: appropriated == pool available + sum(project balances) + paid out, nothing below zero.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class EntryKind(StrEnum):
    appropriation = "appropriation"
    allocation = "allocation"
    disbursement = "disbursement"
    release = "release"


class LedgerRefused(ValueError):
    """An entry that would overdraw an account or is malformed; nothing is written."""


@dataclass(frozen=True)
class Entry:
    kind: EntryKind
    amount: int
    project_id: str | None = None


@dataclass
class Books:
    """Balances in fen of one pool and its projects, as derived from the entries so far."""

    available: int = 0
    projects: dict[str, int] = field(default_factory=dict)
    totals: dict[EntryKind, int] = field(default_factory=lambda: dict.fromkeys(EntryKind, 0))

    @property
    def held(self) -> int:
        return sum(self.projects.values())

    @property
    def paid(self) -> int:
        return self.totals[EntryKind.disbursement]

    def balance(self, project_id: str) -> int:
        return self.projects.get(project_id, 0)

    def check(self, entry: Entry) -> None:
        """Raise LedgerRefused unless `entry` keeps every balance at zero or more."""
        if entry.amount <= 0:
            raise LedgerRefused("An entry moves a positive amount.")
        if (entry.kind == EntryKind.appropriation) != (entry.project_id is None):
            raise LedgerRefused("Only an appropriation is booked without a project.")
        if entry.kind == EntryKind.allocation and entry.amount > self.available:
            raise LedgerRefused(f"The pool has {self.available} fen left; {entry.amount} fen were asked.")
        spends = entry.kind in (EntryKind.disbursement, EntryKind.release)
        if spends and entry.amount > self.balance(entry.project_id or ""):
            raise LedgerRefused(
                f"The project has {self.balance(entry.project_id or '')} fen left; {entry.amount} fen were asked."
            )

    def post(self, entry: Entry) -> None:
        """Check `entry` and apply it to the balances."""
        self.check(entry)
        self.totals[entry.kind] += entry.amount
        if entry.kind == EntryKind.appropriation:
            self.available += entry.amount
            return
        project = entry.project_id or ""
        sign = 1 if entry.kind == EntryKind.allocation else -1
        self.projects[project] = self.balance(project) + sign * entry.amount
        if entry.kind in (EntryKind.allocation, EntryKind.release):
            self.available -= sign * entry.amount

    def balanced(self) -> bool:
        """The books' identity: every fen appropriated is available, held by a project or paid out."""
        totals = self.totals
        nothing_negative = self.available >= 0 and all(value >= 0 for value in self.projects.values())
        identity = totals[EntryKind.appropriation] == self.available + self.held + self.paid
        flows = self.held == (totals[EntryKind.allocation] - totals[EntryKind.disbursement] - totals[EntryKind.release])
        return nothing_negative and identity and flows


def replay(entries: Iterable[Entry]) -> Books:
    books = Books()
    for entry in entries:
        books.post(entry)
    return books
