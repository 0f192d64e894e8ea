"""no tracking codes on the record of duty

Records made from case events used to sum up as "<tracking code> <category>"; the record of duty is public and
a tracking code opens the case's tracking view and its photos. Those summaries keep the category alone. Records
of visitors received at a station (and the suggestions they became) used to show what the visitor raised: it
becomes the record's private note, and the public summary is left empty. No columns change; the downgrade
cannot bring the codes back and leaves the data as it is.

Revision ID: 7e41c9a2d5b8
Revises: cb9e5aaeacb1
Create Date: 2027-01-12 10:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '7e41c9a2d5b8'
down_revision: str | Sequence[str] | None = 'cb9e5aaeacb1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_KINDS = ('case_accepted', 'case_referred', 'case_resolved')
STATION_KINDS = ('visitor_received', 'suggestion')


def upgrade() -> None:
    """Upgrade schema."""
    position = 'strpos' if op.get_bind().dialect.name == 'postgresql' else 'instr'
    op.execute(
        sa.text(
            f"UPDATE duty_records SET summary = substr(summary, {position}(summary, ' ') + 1) "
            f"WHERE source = 'event' AND kind IN {CASE_KINDS} AND {position}(summary, ' ') > 0"
        )
    )
    op.execute(
        sa.text(
            "UPDATE duty_records SET notes = coalesce(notes, summary), summary = '' "
            f"WHERE source = 'event' AND kind IN {STATION_KINDS} AND summary <> ''"
        )
    )


def downgrade() -> None:
    """Downgrade schema."""
