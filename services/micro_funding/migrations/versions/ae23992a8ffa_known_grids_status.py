"""known grids: status instead of retired

Every service's projection of the grid tree has the same columns (shared.projections.KnownGridColumns), where
a grid is "active" or "retired" by `status`. Rows retired before this revision become "retired". Only
`known_grids` is recreated on SQLite (the ledger's triggers are untouched).

Revision ID: ae23992a8ffa
Revises: 0bfdca926dd0
Create Date: 2026-12-02 10:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'ae23992a8ffa'
down_revision: str | Sequence[str] | None = '0bfdca926dd0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

known_grids = sa.table(
    'known_grids',
    sa.column('retired', sa.Boolean()),
    sa.column('status', sa.String(length=16)),
)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('known_grids', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='active', nullable=False))
    op.execute(known_grids.update().where(known_grids.c.retired == sa.true()).values(status='retired'))
    with op.batch_alter_table('known_grids', schema=None) as batch_op:
        batch_op.drop_column('retired')


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('known_grids', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(known_grids.update().where(known_grids.c.status == 'retired').values(retired=sa.true()))
    with op.batch_alter_table('known_grids', schema=None) as batch_op:
        batch_op.drop_column('status')
