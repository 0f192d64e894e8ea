"""case contacts: villagers' numbers for SMS about their cases (the CONTACT stream)

Revision ID: 7a1c3e5f9b20
Revises: 5c2e8d41a7b3
Create Date: 2026-12-03 07:10:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = '7a1c3e5f9b20'
down_revision: str | Sequence[str] | None = '5c2e8d41a7b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_contacts',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('tracking_code', sa.String(length=20), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', shared.db.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_contacts'))
    )
    with op.batch_alter_table('case_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_contacts_tracking_code'), ['tracking_code'], unique=False)


def downgrade() -> None:
    op.drop_table('case_contacts')
