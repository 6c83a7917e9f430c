"""PMO dashboard: partial index of broadcast rows held back by a 429

Revision ID: 0012a
Revises: 0012, 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012a"
down_revision = ("0012", "0004")
branch_labels = None
depends_on = None

HELD = sa.text("error = '429'")


def upgrade() -> None:
    op.create_index("ix_broadcastrecipient_held_429", "broadcastrecipient", ["broadcast_id"],
                    postgresql_where=HELD, sqlite_where=HELD)


def downgrade() -> None:
    op.drop_index("ix_broadcastrecipient_held_429", table_name="broadcastrecipient")
