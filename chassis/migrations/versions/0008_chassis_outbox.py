"""The outbox: messages a service derives from what it consumed, kept until its relay has
published them, and kept after, so the relay can publish them again when a broker forgets
(decision 0030).

One row per message, unique by its id: a policy that runs again for a redelivered event
adds nothing. Rows are read in commit order, `(tx_id, position)`, as the event store's.

Revision ID: chassis_0008
Revises: chassis_0007
"""

from alembic import op

revision = "chassis_0008"
down_revision = "chassis_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE outbox (
            position     bigserial NOT NULL,
            tx_id        xid8 NOT NULL DEFAULT pg_current_xact_id(),
            message_id   uuid PRIMARY KEY,
            topic        text NOT NULL,
            message_key  bytea NOT NULL,
            value        bytea NOT NULL,
            recorded_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX outbox_commit_order ON outbox (tx_id, position)")


def downgrade() -> None:
    op.execute("DROP TABLE outbox")
