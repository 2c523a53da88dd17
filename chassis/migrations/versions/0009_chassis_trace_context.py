"""Events and outbox messages keep the trace context of the span that wrote them (decision
0039): the relay publishes them later, in another task, and makes its publish span a child of
this context, so one trace follows a command through Kafka.

A W3C `traceparent` (55 characters), NULL when tracing was off or the trace not sampled: an
untraced store pays nothing. The append function takes it once per append (every event of an
append comes from the same span) as a new last argument with a default, so a caller that does
not know it still appends.

Revision ID: chassis_0009
Revises: chassis_0008
"""

from alembic import op

revision = "chassis_0009"
down_revision = "chassis_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE events ADD COLUMN trace_context text")
    op.execute("ALTER TABLE outbox ADD COLUMN trace_context text")
    op.execute("DROP FUNCTION append_events(text, integer, text, jsonb, text)")
    op.execute(
        """
        CREATE FUNCTION append_events(
            p_stream_id text,
            p_expected_version integer,
            p_idempotency_key text,
            p_events jsonb,
            p_fingerprint text,
            p_trace_context text DEFAULT NULL
        ) RETURNS TABLE (stream_id text, first_version integer, last_version integer,
                         replayed boolean)
        LANGUAGE plpgsql AS $$
        DECLARE
            v_current integer;
            v_count integer := jsonb_array_length(p_events);
            v_fingerprint text;
        BEGIN
            IF p_idempotency_key IS NOT NULL THEN
                INSERT INTO idempotency_keys AS k
                    (idempotency_key, stream_id, first_version, last_version, fingerprint)
                VALUES (p_idempotency_key, p_stream_id, 0, 0, p_fingerprint)
                ON CONFLICT (idempotency_key) DO NOTHING;
                IF NOT FOUND THEN
                    -- The key was used before (perhaps by a retry racing this one, whose
                    -- commit the insert above waited for): the same command replays, another
                    -- command is refused.
                    SELECT k.fingerprint INTO v_fingerprint
                        FROM idempotency_keys k WHERE k.idempotency_key = p_idempotency_key;
                    IF v_fingerprint IS DISTINCT FROM p_fingerprint
                       AND v_fingerprint IS NOT NULL AND p_fingerprint IS NOT NULL THEN
                        RAISE EXCEPTION 'idempotency key % was used for another command',
                            p_idempotency_key USING ERRCODE = 'DP422';
                    END IF;
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
            -- See chassis_0001: an older transaction may not write behind a younger head.
            IF v_current > 0 AND (SELECT e.tx_id FROM events e WHERE e.stream_id = p_stream_id
                                  AND e.stream_version = v_current) > pg_current_xact_id() THEN
                RAISE EXCEPTION 'stream % head was written by a younger transaction',
                    p_stream_id USING ERRCODE = 'DP409', DETAIL = v_current::text;
            END IF;
            INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version,
                                occurred_at, tenant, correlation_id, causation_id, actor, payload,
                                trace_context)
            SELECT e.event_id, p_stream_id, v_current + j.ord::integer, e.event_type,
                   e.schema_version, e.occurred_at, e.tenant, e.correlation_id, e.causation_id,
                   e.actor, e.payload, p_trace_context
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


def downgrade() -> None:
    raise NotImplementedError("trace contexts are kept: the relay would lose them")
