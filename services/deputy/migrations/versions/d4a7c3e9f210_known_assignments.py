"""known assignments

The deputy service's copy of grid.assignment.* events: the grids each deputy answers for (the duty report's
grids, and which deputies a township's reports gather).

Revision ID: d4a7c3e9f210
Revises: f6a2517eb256
Create Date: 2026-12-05 09:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'd4a7c3e9f210'
down_revision: str | Sequence[str] | None = 'f6a2517eb256'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('known_assignments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('deputy_id', sa.String(length=36), nullable=False),
    sa.Column('grid_id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('basis', sa.String(length=24), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_known_assignments'))
    )
    with op.batch_alter_table('known_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_known_assignments_deputy_id'), ['deputy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_known_assignments_grid_id'), ['grid_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('known_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_known_assignments_grid_id'))
        batch_op.drop_index(batch_op.f('ix_known_assignments_deputy_id'))
    op.drop_table('known_assignments')
