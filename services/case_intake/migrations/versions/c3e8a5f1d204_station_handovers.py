"""station handovers

What was raised, discussed and answered at the station reception a follow-up case came from
(reception.issue.handed.v1), kept for the case's handlers and the office: `station_handovers`.

Revision ID: c3e8a5f1d204
Revises: b7d41c2e9a10
Create Date: 2026-12-03 07:10:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa

import shared.db
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'c3e8a5f1d204'
down_revision: str | Sequence[str] | None = 'b7d41c2e9a10'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'station_handovers',
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('raised', sa.Text(), nullable=False),
        sa.Column('discussed', sa.Text(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('at', shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_station_handovers_case_id_cases')),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_station_handovers')),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('station_handovers')
