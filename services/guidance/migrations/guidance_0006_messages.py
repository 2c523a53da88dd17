"""The messages of a path's thread between its client and its counselors (decision 0041).

Revision ID: guidance_0006
Revises: guidance_0005
"""

from alembic import op

revision = "guidance_0006"
down_revision = "guidance_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Free text lives here, never in an event (MessageWaiting carries no words), so that
    # erasing the client removes it for good.
    op.execute(
        """
        CREATE TABLE path_messages (
            entry_id     uuid PRIMARY KEY,
            pathway_id   uuid NOT NULL,
            from_role    text NOT NULL CHECK (from_role IN ('client', 'counselor')),
            author_id    text NOT NULL,
            body         text NOT NULL,
            written_at   timestamptz NOT NULL,
            -- When the other side first read it; NULL while it is unread.
            read_at      timestamptz
        )
        """
    )
    op.execute("CREATE INDEX path_messages_thread ON path_messages (pathway_id, written_at)")
    # The caseload's flag and the client's week page count what waits for them.
    op.execute(
        "CREATE INDEX path_messages_unread ON path_messages (pathway_id, from_role)"
        " WHERE read_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP TABLE path_messages")
