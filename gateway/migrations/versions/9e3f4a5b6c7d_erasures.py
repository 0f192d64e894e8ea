"""erasures: villagers erased on request, and the outbox that tells every service

Revision ID: 9e3f4a5b6c7d
Revises: 8d2e3f4a5b6c
Create Date: 2026-12-03 07:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db
from shared.messaging.tables import outbox_table

revision: str = '9e3f4a5b6c7d'
down_revision: str | Sequence[str] | None = '8d2e3f4a5b6c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    metadata = shared.db.new_metadata()
    outbox_table(metadata)
    metadata.create_all(op.get_bind())
    op.create_table('erasures',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=True),
    sa.Column('phone_given', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('requested_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasures'))
    )
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasures_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_erasures_requested_at'), ['requested_at'], unique=False)


def downgrade() -> None:
    op.drop_table('erasures')
    op.drop_table('outbox')
