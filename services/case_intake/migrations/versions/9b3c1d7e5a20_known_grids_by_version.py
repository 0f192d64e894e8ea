"""known grids by version

The grid tree is projected like every service's (shared.projections.KnownGridColumns): each row keeps the grid's
code, its status (active or retired) and the version of the event that wrote it, so that a stale grid event never
overwrites a newer one. Rows projected before this keep an empty code until their grid's next event, and count
as version 1.

Revision ID: 9b3c1d7e5a20
Revises: 22262881f64f
Create Date: 2026-12-01 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '9b3c1d7e5a20'
down_revision: Union[str, Sequence[str], None] = '22262881f64f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('known_grids', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('known_grids', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('status')
        batch_op.drop_column('code')
