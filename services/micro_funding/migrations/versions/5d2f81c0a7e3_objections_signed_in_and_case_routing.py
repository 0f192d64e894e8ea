"""objections signed in, limited and ruled by someone; cases with the deputies they are routed to

Objections to a public notice are made under a real name (a villager's account) and limited per account and
client address: `objections.address` (never shown), one pending objection per account and project (a partial
unique index), indexes to count an account's and an address's recent objections, and `ruled_by`, the office
account that ruled. `known_cases.deputy_ids` keeps the deputies a case is routed to now, so that a deputy cites
only cases routed to them; cases known from before stay NULL until their next event.

Revision ID: 5d2f81c0a7e3
Revises: ae23992a8ffa
Create Date: 2027-01-12 10:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '5d2f81c0a7e3'
down_revision: str | Sequence[str] | None = 'ae23992a8ffa'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('ruled_by', sa.String(length=64), nullable=True))
    op.create_index(
        'uq_objections_pending_per_objector',
        'objections',
        ['project_id', 'objector'],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index('ix_objections_objector_raised', 'objections', ['objector', 'raised_at'])
    op.create_index('ix_objections_address_raised', 'objections', ['address', 'raised_at'])
    with op.batch_alter_table('known_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deputy_ids', sa.Text(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('known_cases', schema=None) as batch_op:
        batch_op.drop_column('deputy_ids')
    op.drop_index('ix_objections_address_raised', table_name='objections')
    op.drop_index('ix_objections_objector_raised', table_name='objections')
    op.drop_index('uq_objections_pending_per_objector', table_name='objections')
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_column('ruled_by')
        batch_op.drop_column('address')
