"""erased raters and actors

An erased villager (PIPL) keeps no account link here: a rating keeps its score without its rater, the timeline
step their first rating opened keeps its role without its actor. Both columns become nullable (objections'
objector already is).

Revision ID: b7e41d2c9a05
Revises: 780c1f094cc8
Create Date: 2026-12-03 10:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'b7e41d2c9a05'
down_revision: str | Sequence[str] | None = '780c1f094cc8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.alter_column('rater', existing_type=sa.String(length=64), nullable=True)
    with op.batch_alter_table('project_steps', schema=None) as batch_op:
        batch_op.alter_column('actor', existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    """Downgrade schema (an erased villager's rows get an anonymous marker: the columns admit no NULL again)."""
    op.execute("UPDATE ratings SET rater = 'erased:' || id WHERE rater IS NULL")
    op.execute("UPDATE project_steps SET actor = 'erased' WHERE actor IS NULL")
    with op.batch_alter_table('project_steps', schema=None) as batch_op:
        batch_op.alter_column('actor', existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.alter_column('rater', existing_type=sa.String(length=64), nullable=False)
