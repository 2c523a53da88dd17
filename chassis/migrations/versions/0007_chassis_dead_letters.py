"""Dead letters: consumed events a projection or policy could not read, and the later events
of their streams parked behind them (decision 0027).

One row per (consumer, source topic, stream, version). A stream is held for a consumer while
it has any row here; its lowest row is the event that could not be read (`reason` says why),
the rest wait behind it. The raw envelope is kept, so nothing is lost although the Kafka
offsets move on: once the service can read the event, the rows are applied in order and
deleted.

Revision ID: chassis_0007
Revises: chassis_0006
"""

from alembic import op

revision = "chassis_0007"
down_revision = "chassis_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE dead_letters (
            consumer        text NOT NULL,
            source          text NOT NULL,
            stream_id       text NOT NULL,
            stream_version  integer NOT NULL,
            event_id        uuid NOT NULL,
            event_type      text NOT NULL,
            schema_version  integer NOT NULL,
            -- Why it could not be read; 'parked' for an event waiting behind one that could not.
            reason          text NOT NULL,
            first_seen      timestamptz NOT NULL DEFAULT now(),
            last_seen       timestamptz NOT NULL DEFAULT now(),
            attempts        integer NOT NULL DEFAULT 1,
            envelope        jsonb NOT NULL,
            PRIMARY KEY (consumer, source, stream_id, stream_version)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE dead_letters")
