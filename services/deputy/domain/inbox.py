"""Which of a deputy's cases still need them: the inbox lists open cases first and can list only those."""

from shared.messaging.catalogue import AWAITING_CONFIRMATION, CLOSED_CASE_STATUSES

OFF_THE_DEPUTYS_HANDS = CLOSED_CASE_STATUSES | {AWAITING_CONFIRMATION}
"""A closed case, and a resolved one waiting for the villager's confirmation: nothing left for the deputy to do
until the villager says it is not solved (and it is reopened)."""
