"""judicial ruling

The court's ruling on a mediation agreement's judicial confirmation (司法确认): confirmed or not, the day and the
document number (`mediation_sessions.confirmation_ruling`, `confirmation_ruled_on`,
`confirmation_document_number`).

Revision ID: d9f2b6a4c815
Revises: c3e8a5f1d204
Create Date: 2026-12-03 07:20:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'd9f2b6a4c815'
down_revision: str | Sequence[str] | None = 'c3e8a5f1d204'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('mediation_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation_ruling', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('confirmation_ruled_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('confirmation_document_number', sa.String(length=80), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('mediation_sessions', schema=None) as batch_op:
        batch_op.drop_column('confirmation_document_number')
        batch_op.drop_column('confirmation_ruled_on')
        batch_op.drop_column('confirmation_ruling')
