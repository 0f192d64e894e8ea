"""seal TOTP secrets: encrypted at rest with the keys of ENCRYPTION_KEYS_FILE

Revision ID: 7c1d2e3f4a5b
Revises: 4749b0896c0f
Create Date: 2026-12-02 19:00:00.000000

"""
import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision: str = '7c1d2e3f4a5b'
down_revision: str | Sequence[str] | None = '4749b0896c0f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

accounts = sa.table('accounts', sa.column('id', sa.String), sa.column('totp_secret', sa.String))


def _sealer():  # type: ignore[no-untyped-def]
    """The gateway's sealer from the settings the migration runs with (`python -m shared.migrations gateway`
    passes the base settings: ENCRYPTION_KEYS_FILE from the environment then)."""
    from gateway.identity.sealed import Sealer
    from gateway.settings import GatewaySettings

    settings = context.config.attributes.get("settings")
    if isinstance(settings, GatewaySettings):
        path = settings.encryption_keys_file
    else:
        path = Path(os.environ.get("ENCRYPTION_KEYS_FILE") or GatewaySettings.model_fields["encryption_keys_file"].default)
    production = getattr(settings, "is_production", False)
    return Sealer(path, create=not production)


def _rows() -> list[tuple[str, str]]:
    query = sa.select(accounts.c.id, accounts.c.totp_secret).where(accounts.c.totp_secret.is_not(None))
    return [(row.id, row.totp_secret) for row in op.get_bind().execute(query)]


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255))
    rows = [(account_id, secret) for account_id, secret in _rows() if not secret.startswith('f1:')]
    if rows:  # the keys are needed only when there is something to seal
        sealer = _sealer()
        for account_id, secret in rows:
            op.execute(accounts.update().where(accounts.c.id == account_id).values(totp_secret=sealer.seal(secret)))


def downgrade() -> None:
    rows = [(account_id, secret) for account_id, secret in _rows() if secret.startswith('f1:')]
    if rows:
        sealer = _sealer()
        for account_id, secret in rows:
            op.execute(accounts.update().where(accounts.c.id == account_id).values(totp_secret=sealer.open(secret)))
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64))
