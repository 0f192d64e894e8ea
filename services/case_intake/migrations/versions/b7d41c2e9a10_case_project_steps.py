"""case project steps

A step on a case's timeline may say the case was taken into a livelihood micro-project (民生微实事): the project
and its stage at that step (`case_transitions.project_id`, `project_stage`).

Revision ID: b7d41c2e9a10
Revises: 6e5fe95e87e0
Create Date: 2026-12-03 07:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'b7d41c2e9a10'
down_revision: str | Sequence[str] | None = '6e5fe95e87e0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('project_stage', sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.drop_column('project_stage')
        batch_op.drop_column('project_id')
