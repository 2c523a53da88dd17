"""Event store, idempotency keys, relay and projection checkpoints.

Revision ID: chassis_0001
Revises:
"""

from alembic import op

revision = "chassis_0001"
down_revision = None
branch_labels = ("chassis",)
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE events (
            position        bigint GENERATED ALWAYS AS IDENTITY,
            -- The writing transaction's id: readers follow (tx_id, position) and read only
            -- below the xmin of their snapshot, so a slow commit is never skipped.
            tx_id           xid8 NOT NULL DEFAULT pg_current_xact_id(),
            event_id        uuid NOT NULL,
            stream_id       text NOT NULL,
            stream_version  integer NOT NULL,
            event_type      text NOT NULL,
            schema_version  integer NOT NULL,
            occurred_at     timestamptz NOT NULL,
            tenant          text NOT NULL,
            correlation_id  uuid NOT NULL,
            causation_id    uuid,
            actor           jsonb NOT NULL,
            payload         jsonb NOT NULL,
            CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version),
            CONSTRAINT events_global_order_key UNIQUE (tx_id, position)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE idempotency_keys (
            idempotency_key text PRIMARY KEY,
            stream_id       text NOT NULL,
            first_version   integer NOT NULL,
            last_version    integer NOT NULL,
            recorded_at     timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    # One round trip per append: the version check, the idempotency key and the rows. The
    # events come as one JSON array (serialised by pydantic's compiled core), which costs the
    # client far less than encoding a dozen typed arrays.
    op.execute(
        """
        CREATE FUNCTION append_events(
            p_stream_id text,
            p_expected_version integer,
            p_idempotency_key text,
            p_events jsonb
        ) RETURNS TABLE (stream_id text, first_version integer, last_version integer,
                         replayed boolean)
        LANGUAGE plpgsql AS $$
        DECLARE
            v_current integer;
            v_count integer := jsonb_array_length(p_events);
        BEGIN
            IF p_idempotency_key IS NOT NULL THEN
                INSERT INTO idempotency_keys AS k
                    (idempotency_key, stream_id, first_version, last_version)
                VALUES (p_idempotency_key, p_stream_id, 0, 0)
                ON CONFLICT (idempotency_key) DO NOTHING;
                IF NOT FOUND THEN
                    RETURN QUERY
                        SELECT k.stream_id, k.first_version, k.last_version, true
                        FROM idempotency_keys k WHERE k.idempotency_key = p_idempotency_key;
                    RETURN;
                END IF;
            END IF;
            SELECT coalesce(max(e.stream_version), 0) INTO v_current
                FROM events e WHERE e.stream_id = p_stream_id;
            IF p_expected_version IS NOT NULL AND v_current <> p_expected_version THEN
                RAISE EXCEPTION 'stream % is at version %, expected %',
                    p_stream_id, v_current, p_expected_version
                    USING ERRCODE = 'DP409', DETAIL = v_current::text;
            END IF;
            -- Readers follow (tx_id, position). A transaction whose id is older than the one
            -- that wrote the stream's head would sort its new version before that head, so
            -- it must retry in a new transaction (a newer id), like any version conflict.
            IF v_current > 0 AND (SELECT e.tx_id FROM events e WHERE e.stream_id = p_stream_id
                                  AND e.stream_version = v_current) > pg_current_xact_id() THEN
                RAISE EXCEPTION 'stream % head was written by a younger transaction',
                    p_stream_id USING ERRCODE = 'DP409', DETAIL = v_current::text;
            END IF;
            INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version,
                                occurred_at, tenant, correlation_id, causation_id, actor, payload)
            SELECT e.event_id, p_stream_id, v_current + j.ord::integer, e.event_type,
                   e.schema_version, e.occurred_at, e.tenant, e.correlation_id, e.causation_id,
                   e.actor, e.payload
            FROM jsonb_array_elements(p_events) WITH ORDINALITY AS j(doc, ord),
                 LATERAL jsonb_to_record(j.doc) AS e(
                     event_id uuid, event_type text, schema_version integer,
                     occurred_at timestamptz, tenant text, correlation_id uuid,
                     causation_id uuid, actor jsonb, payload jsonb)
            ORDER BY j.ord;
            IF p_idempotency_key IS NOT NULL THEN
                UPDATE idempotency_keys k
                    SET first_version = v_current + 1, last_version = v_current + v_count
                    WHERE k.idempotency_key = p_idempotency_key;
            END IF;
            RETURN QUERY SELECT p_stream_id, v_current + 1, v_current + v_count, false;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TABLE relay_checkpoints (
            relay_name  text PRIMARY KEY,
            tx_id       xid8 NOT NULL,
            position    bigint NOT NULL,
            updated_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    # Projectors dedupe by the last stream version applied, per source stream; it is
    # written in the same transaction as the read-model change it guards.
    op.execute(
        """
        CREATE TABLE projection_tracking (
            projection      text NOT NULL,
            stream_id       text NOT NULL,
            stream_version  integer NOT NULL,
            source          text NOT NULL,
            PRIMARY KEY (projection, source, stream_id)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE projection_tracking")
    op.execute("DROP TABLE relay_checkpoints")
    op.execute("DROP FUNCTION append_events")
    op.execute("DROP TABLE idempotency_keys")
    op.execute("DROP TABLE events")
