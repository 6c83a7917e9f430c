"""inbox at scale: sealed payloads, recorded replies, attempts, partial indexes

Revision ID: 0008
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('pending', 'replying')")
DONE = sa.text("status = 'done'")
DEAD = sa.text("status = 'dead'")


def upgrade() -> None:
    with op.batch_alter_table("inbox_update") as batch:
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=True)
        batch.add_column(sa.Column("sealed", sa.Text(), nullable=True))
        batch.add_column(sa.Column("replies", sa.Text(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False,
                                   server_default="0"))
    # Rows claimed by the old code are simply waiting again; done rows lose their payload now.
    op.execute("UPDATE inbox_update SET status = 'pending' WHERE status = 'processing'")
    op.execute("UPDATE inbox_update SET payload = NULL WHERE status = 'done'")
    op.create_index("ix_inbox_open", "inbox_update", ["chat_id", "claimed_at"],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index("ix_inbox_done_at", "inbox_update", ["done_at"],
                    postgresql_where=DONE, sqlite_where=DONE)
    op.create_index("ix_inbox_dead", "inbox_update", ["received_at"],
                    postgresql_where=DEAD, sqlite_where=DEAD)


def downgrade() -> None:
    op.drop_index("ix_inbox_dead", table_name="inbox_update")
    op.drop_index("ix_inbox_done_at", table_name="inbox_update")
    op.drop_index("ix_inbox_open", table_name="inbox_update")
    op.execute("DELETE FROM inbox_update WHERE payload IS NULL")
    with op.batch_alter_table("inbox_update") as batch:
        batch.drop_column("attempts")
        batch.drop_column("replies")
        batch.drop_column("sealed")
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=False)
