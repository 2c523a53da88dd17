"""The relay remembers, per topic partition, the next offset the broker acknowledged.

Saved with the relay's position in one statement, so a restarted relay (or the standby that
takes over) knows what the broker had confirmed. A partition whose end offset is below it, or
a topic that is gone, means the broker lost acknowledged events: the relay then publishes
the store again from the start (decision 0026). The value is `{"topic": {"partition": next
offset}}`; empty for a relay that has published nothing yet.

Revision ID: chassis_0006
Revises: chassis_0005
"""

from alembic import op

revision = "chassis_0006"
down_revision = "chassis_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE relay_checkpoints ADD COLUMN broker_offsets jsonb NOT NULL DEFAULT '{}'"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE relay_checkpoints DROP COLUMN broker_offsets")
