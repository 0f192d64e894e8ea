"""The money rules of one fund pool, with no I/O: what an entry may do and the balances it leaves.

Accounts: the pool's available money, each project's allocation not yet spent, and the money paid out.
Entries only ever add to the books (append-only); balances are derived by replaying them:

- appropriation  city finance puts money into the pool          pool += amount
- allocation     an approved project is funded from the pool    pool -= amount, project += amount
- disbursement   finance pays out of a project's allocation     project -= amount, paid += amount
- release        unspent allocation goes back to the pool       project -= amount, pool += amount

So at every point: appropriated == pool available + sum(project balances) + paid out, nothing below zero.
Reconciliation replays the kept entries and compares: with the balances kept beside each entry, with the
pool's total, and with the projects (a funded project holds exactly one allocation of its budget).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from services.micro_funding.domain.stages import FUNDED

MAX_PROBLEMS = 50


class EntryKind(StrEnum):
    appropriation = "appropriation"
    allocation = "allocation"
    disbursement = "disbursement"
    release = "release"


class LedgerRefused(ValueError):
    """An entry that would overdraw an account or is malformed; nothing is written. `message` is an English
    message id (its values in `params`), said in the caller's language by the 409 it becomes."""

    def __init__(self, message: str, **params: int) -> None:
        super().__init__(message.format_map(params))
        self.message, self.params = message, params


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
            raise LedgerRefused(
                "The pool has {left} fen left; {amount} fen were asked.", left=self.available, amount=entry.amount
            )
        spends = entry.kind in (EntryKind.disbursement, EntryKind.release)
        if spends and entry.amount > self.balance(entry.project_id or ""):
            raise LedgerRefused(
                "The project has {left} fen left; {amount} fen were asked.",
                left=self.balance(entry.project_id or ""),
                amount=entry.amount,
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


# ---------------------------------------------------------------- reconciliation


class KeptEntry(Protocol):
    """A stored ledger line (a `LedgerEntry` row): the amount and the balances kept after it."""

    seq: int
    kind: str
    amount_fen: int
    project_id: str | None
    pool_available_fen: int
    project_balance_fen: int | None


@dataclass
class Audit:
    """What a replay of a pool's books found: the derived balances and every problem, in the order found."""

    books: Books
    entries: int
    funded_projects: int
    problems: list[str]

    @property
    def balanced(self) -> bool:
        return not self.problems


def _replay_kept(rows: Sequence[KeptEntry], problems: list[str]) -> Books:
    """Replay the amounts in order; note every refused entry and every stored balance that differs."""
    books = Books()
    for row in rows:
        entry = Entry(EntryKind(row.kind), row.amount_fen, row.project_id)
        try:
            books.post(entry)
        except LedgerRefused as error:
            problems.append(f"entry {row.seq}: {error}")
            continue
        if books.available != row.pool_available_fen:
            problems.append(f"entry {row.seq}: pool balance kept {row.pool_available_fen}, replayed {books.available}")
        if row.project_id and books.balance(row.project_id) != row.project_balance_fen:
            problems.append(f"entry {row.seq}: project balance kept {row.project_balance_fen}, replayed differs")
    return books


def _allocation_problems(
    allocated: Mapping[str | None, int], projects: Iterable[tuple[str, str, int]]
) -> tuple[int, list[str]]:
    """Funded projects hold exactly one allocation of their budget; others hold none."""
    left = dict(allocated)
    problems, funded = [], 0
    for project_id, status, budget in projects:
        expected = budget if status in FUNDED else 0
        funded += status in FUNDED
        if int(left.pop(project_id, 0) or 0) != expected:
            problems.append(f"project {project_id} ({status}) is not allocated exactly {expected} fen")
    problems += [f"allocation to unknown project {project_id}" for project_id in left]
    return funded, problems


def audit(
    rows: Sequence[KeptEntry],
    total_fen: int,
    allocated: Mapping[str | None, int],
    projects: Iterable[tuple[str, str, int]],
) -> Audit:
    """Prove a pool's books balance: `rows` in order, the pool's total, the allocations summed per project,
    and each project of the pool as (id, status, budget)."""
    problems: list[str] = []
    books = _replay_kept(rows, problems)
    if books.totals[EntryKind.appropriation] != total_fen:
        problems.append(f"appropriations {books.totals[EntryKind.appropriation]} differ from the pool total")
    funded, project_problems = _allocation_problems(allocated, projects)
    problems += project_problems
    if not books.balanced():
        problems.append("appropriated differs from available + held + disbursed")
    return Audit(books=books, entries=len(rows), funded_projects=funded, problems=problems)
