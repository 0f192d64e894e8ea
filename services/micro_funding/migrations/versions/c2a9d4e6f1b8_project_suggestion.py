"""project suggestion

The deputies' suggestion a micro-project carries out (`projects.suggestion_id`, optional): the proposal cites it
and funding.project.submitted.v2 / completed.v2 carry it to the deputy service.

Revision ID: c2a9d4e6f1b8
Revises: b7e41d2c9a05
Create Date: 2026-12-03 07:40:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'c2a9d4e6f1b8'
down_revision: str | Sequence[str] | None = 'b7e41d2c9a05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema: a plain ADD COLUMN (SQLite too), never a copy of `projects`, which other tables reference."""
    op.add_column('projects', sa.Column('suggestion_id', sa.String(length=36), nullable=True))
    op.create_index(op.f('ix_projects_suggestion_id'), 'projects', ['suggestion_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema (a plain DROP COLUMN: SQLite 3.35+ has it, and `projects` is not copied)."""
    op.drop_index(op.f('ix_projects_suggestion_id'), table_name='projects')
    op.drop_column('projects', 'suggestion_id')
