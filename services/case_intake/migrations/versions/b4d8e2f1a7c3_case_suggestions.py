"""case suggestions

The deputies' suggestions that cite a case (`case_suggestions`, from deputy.suggestion.accepted.v1) and the link a
timeline step points to (`case_transitions.link`: a suggestion's public page).

Revision ID: b4d8e2f1a7c3
Revises: d9f2b6a4c815
Create Date: 2026-12-03 07:30:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'b4d8e2f1a7c3'
down_revision: str | Sequence[str] | None = 'd9f2b6a4c815'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'case_suggestions',
        sa.Column('suggestion_id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_suggestions_case_id_cases')),
        sa.PrimaryKeyConstraint('suggestion_id', 'case_id', name=op.f('pk_case_suggestions')),
    )
    with op.batch_alter_table('case_suggestions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_suggestions_case_id'), ['case_id'], unique=False)
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link', sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.drop_column('link')
    with op.batch_alter_table('case_suggestions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_suggestions_case_id'))
    op.drop_table('case_suggestions')
