"""audit log

The service's audit log (shared.audit): every official's action and every read of personal data, append-only
(triggers refuse UPDATE and DELETE on SQLite, UPDATE, DELETE and TRUNCATE on PostgreSQL).

Each step of a case's timeline also keeps the display name of the official account that took it
(`case_transitions.actor_name`), shown to officials beside the account.

Revision ID: 6e5fe95e87e0
Revises: 9b3c1d7e5a20
Create Date: 2026-12-04 10:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.audit import create_audit_table, drop_audit_table

# revision identifiers, used by Alembic.
revision: str = '6e5fe95e87e0'
down_revision: str | Sequence[str] | None = '9b3c1d7e5a20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    create_audit_table(op)
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_name', sa.String(length=120), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.drop_column('actor_name')
    drop_audit_table(op)
