"""case codes: a case's tracking code by its id (the followers of the cases a micro-project answers)

Revision ID: b3d7e1a9c542
Revises: 7a1c3e5f9b20
Create Date: 2026-12-03 07:20:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b3d7e1a9c542'
down_revision: str | Sequence[str] | None = '7a1c3e5f9b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_codes',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('tracking_code', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_codes'))
    )


def downgrade() -> None:
    op.drop_table('case_codes')
