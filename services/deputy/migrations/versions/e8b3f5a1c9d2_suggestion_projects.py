"""suggestion projects

The micro-projects whose proposals cite a deputies' suggestion (`suggestion_projects`, from
funding.project.submitted.v2 and completed.v2): shown on the suggestion with their completion.

Revision ID: e8b3f5a1c9d2
Revises: d4a7c3e9f210
Create Date: 2026-12-03 07:45:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

# revision identifiers, used by Alembic.
revision: str = 'e8b3f5a1c9d2'
down_revision: str | Sequence[str] | None = 'd4a7c3e9f210'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'suggestion_projects',
        sa.Column('project_id', sa.String(length=36), nullable=False),
        sa.Column('suggestion_id', sa.String(length=36), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('proposed_at', shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('completed_at', shared.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('project_id', name=op.f('pk_suggestion_projects')),
    )
    with op.batch_alter_table('suggestion_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_projects_suggestion_id'), ['suggestion_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('suggestion_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestion_projects_suggestion_id'))
    op.drop_table('suggestion_projects')
