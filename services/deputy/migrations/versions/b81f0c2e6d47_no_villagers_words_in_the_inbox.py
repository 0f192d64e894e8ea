"""no villagers' words in the inbox

Inbox rows saved from case.case.submitted.v1 / assigned.v1 kept the start of the villager's description in
`summary`; the v2 events carry none and the inbox shows the category. Erase the stored words too.

Revision ID: b81f0c2e6d47
Revises: 7e41c9a2d5b8
Create Date: 2026-12-02 19:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b81f0c2e6d47"
down_revision: str | Sequence[str] | None = "7e41c9a2d5b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE inbox_cases SET summary = category WHERE summary <> category")


def downgrade() -> None:
    """Nothing to bring back: the words are gone on purpose."""
