"""audit log

The service's audit log (shared.audit): the office's erasures of a person (and any official's action),
append-only (triggers refuse UPDATE and DELETE on SQLite, UPDATE, DELETE and TRUNCATE on PostgreSQL).

Revision ID: 5c2e8d41a7b3
Revises: ead31842f10b
Create Date: 2026-12-05 10:00:00.000000

"""
from collections.abc import Sequence

from alembic import op

from shared.audit import create_audit_table, drop_audit_table

# revision identifiers, used by Alembic.
revision: str = '5c2e8d41a7b3'
down_revision: str | Sequence[str] | None = 'ead31842f10b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    create_audit_table(op)


def downgrade() -> None:
    """Downgrade schema."""
    drop_audit_table(op)
