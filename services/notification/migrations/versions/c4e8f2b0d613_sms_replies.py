"""sms replies: uplink messages taken once by their sequence id (a villager's "stop")

Revision ID: c4e8f2b0d613
Revises: b3d7e1a9c542
Create Date: 2026-12-03 07:30:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = 'c4e8f2b0d613'
down_revision: str | Sequence[str] | None = 'b3d7e1a9c542'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sms_replies',
    sa.Column('sequence_id', sa.String(length=64), nullable=False),
    sa.Column('stopped', sa.Boolean(), nullable=False),
    sa.Column('received_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sequence_id', name=op.f('pk_sms_replies'))
    )


def downgrade() -> None:
    op.drop_table('sms_replies')
