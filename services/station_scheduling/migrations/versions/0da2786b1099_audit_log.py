"""audit log

The service's audit log (shared.audit): every official's action and every read of personal data, append-only
(triggers refuse UPDATE and DELETE on SQLite, UPDATE, DELETE and TRUNCATE on PostgreSQL).

Revision ID: 0da2786b1099
Revises: e194a5b111dc
Create Date: 2026-12-04 10:00:00.000000

"""
from collections.abc import Sequence

from alembic import op

from shared.audit import create_audit_table, drop_audit_table

# revision identifiers, used by Alembic.
revision: str = '0da2786b1099'
down_revision: str | Sequence[str] | None = 'e194a5b111dc'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    create_audit_table(op)


def downgrade() -> None:
    """Downgrade schema."""
    drop_audit_table(op)
