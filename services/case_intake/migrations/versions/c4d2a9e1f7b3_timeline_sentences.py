"""timeline sentences by message id: each step keeps its sentence's message id and values, said per request

Steps written before keep only their English `reason`; the timeline reads those as before (and in Chinese when
the sentence is one of the catalogue's message ids).

Revision ID: c4d2a9e1f7b3
Revises: b4d8e2f1a7c3
Create Date: 2026-12-03 07:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4d2a9e1f7b3"
down_revision: str | Sequence[str] | None = "b4d8e2f1a7c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_transitions") as batch:
        batch.add_column(sa.Column("sentence", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("sentence_params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_transitions") as batch:
        batch.drop_column("sentence_params")
        batch.drop_column("sentence")
