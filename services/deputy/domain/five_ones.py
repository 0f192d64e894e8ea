"""The five ones (五个一) every deputy is expected to do each year: make a good suggestion, join an inspection
or research visit, resolve a dispute, support a household in difficulty, push one livelihood matter through."""

from collections.abc import Collection

FIVE_ONES = ("suggestion", "inspection", "dispute", "household", "livelihood")


def missing(done: Collection[str]) -> list[str]:
    """The five ones not done yet, in their order."""
    return [item for item in FIVE_ONES if item not in done]


def all_done(done: Collection[str]) -> bool:
    return not missing(done)
