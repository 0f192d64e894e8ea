"""Property tests of the ledger rules: whatever is asked, no balance goes below zero and the books balance."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.micro_funding.domain.ledger import Books, Entry, EntryKind, LedgerRefused, replay

PROJECTS = ["p1", "p2", "p3"]
AMOUNTS = st.integers(min_value=-5, max_value=2_000_000)
OPERATIONS = st.lists(
    st.tuples(st.sampled_from(list(EntryKind)), st.sampled_from([None, *PROJECTS]), AMOUNTS), max_size=60
)


def _sum_of_entries(posted: list[Entry]) -> dict[str, int]:
    """Each account's balance as the plain signed sum of the entries that touch it."""
    sums = {"pool": 0, "paid": 0, **dict.fromkeys(PROJECTS, 0)}
    moves = {
        EntryKind.appropriation: (None, "pool"),
        EntryKind.allocation: ("pool", "project"),
        EntryKind.disbursement: ("project", "paid"),
        EntryKind.release: ("project", "pool"),
    }
    for entry in posted:
        source, target = moves[entry.kind]
        for account, sign in ((source, -1), (target, 1)):
            if account is not None:
                sums[entry.project_id if account == "project" else account] += sign * entry.amount
    return sums


@settings(max_examples=300, deadline=None)
@given(OPERATIONS)
def test_any_sequence_keeps_balances_non_negative_and_equal_to_the_sum_of_entries(operations) -> None:
    books, posted = Books(), []
    for kind, project_id, amount in operations:
        entry = Entry(kind, amount, project_id)
        before = (books.available, dict(books.projects), dict(books.totals))
        try:
            books.post(entry)
        except LedgerRefused:
            assert (books.available, books.projects, books.totals) == before  # a refused entry changes nothing
            continue
        posted.append(entry)
        assert books.available >= 0 and all(balance >= 0 for balance in books.projects.values())
        assert books.balanced()
    sums = _sum_of_entries(posted)
    assert books.available == sums["pool"]
    assert books.paid == sums["paid"]
    assert all(books.balance(project) == sums[project] for project in PROJECTS)
    assert replay(posted) == books


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**12), st.lists(st.integers(min_value=1, max_value=10**11), max_size=40))
def test_allocations_never_exceed_what_was_appropriated(total, asks) -> None:
    books = Books()
    books.post(Entry(EntryKind.appropriation, total))
    granted = 0
    for index, amount in enumerate(asks):
        try:
            books.post(Entry(EntryKind.allocation, amount, f"p{index}"))
            granted += amount
        except LedgerRefused:
            assert amount > total - granted
    assert granted <= total and books.available == total - granted


@pytest.mark.parametrize(
    "entry",
    [
        Entry(EntryKind.allocation, 101, "p1"),
        Entry(EntryKind.disbursement, 1, "p2"),
        Entry(EntryKind.release, 61, "p1"),
        Entry(EntryKind.disbursement, 0, "p1"),
        Entry(EntryKind.appropriation, 5, "p1"),
        Entry(EntryKind.allocation, 5, None),
    ],
)
def test_overdrafts_and_malformed_entries_are_refused(entry: Entry) -> None:
    books = replay([Entry(EntryKind.appropriation, 200), Entry(EntryKind.allocation, 100, "p1")])
    books.post(Entry(EntryKind.disbursement, 40, "p1"))
    with pytest.raises(LedgerRefused):
        books.post(entry)


def test_a_project_lifecycle_balances() -> None:
    books = replay(
        [
            Entry(EntryKind.appropriation, 1000),
            Entry(EntryKind.allocation, 600, "p1"),
            Entry(EntryKind.disbursement, 450, "p1"),
            Entry(EntryKind.release, 150, "p1"),
        ]
    )
    assert (books.available, books.balance("p1"), books.paid, books.held) == (550, 0, 450, 0)
    assert books.balanced()
