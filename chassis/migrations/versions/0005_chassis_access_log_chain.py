"""The access log is hash-chained: each entry carries the hash of the one before it.

Every entry gets its place in the chain (`chain_seq`, 1, 2, 3... with no gap), the previous
entry's hash (`prev_hash`, 32 zero bytes for the first) and its own
`row_hash = sha256(prev_hash || canonical encoding of the entry)`. A BEFORE INSERT trigger
computes them in the database, so the writer cannot choose them. It takes the one row of
`access_log_chain_head` FOR UPDATE, which makes concurrent inserts queue up: the chain is
linear in commit order. The trigger function belongs to the migration role and runs with its
rights (SECURITY DEFINER, search_path pinned), so the service's own role needs no right on the
head at all (decision 0024). `chassis.access_log_chain` recomputes the chain independently.

Entries written before this revision are chained here, in entry order.

Revision ID: chassis_0005
Revises: chassis_0004
"""

from alembic import op

revision = "chassis_0005"
down_revision = "chassis_0004"
branch_labels = None
depends_on = None

# The canonical encoding, version 1 (chassis/access_log_chain.py encodes the same): a version
# tag, then every field as `<bytes>:<text>` (UTF-8 length, then the text) or `-` for NULL, so
# no two different entries encode alike. Times are UTC with microseconds, whatever the
# session's TimeZone or DateStyle.
_ROW_HASH = r"""
CREATE FUNCTION access_log_row_hash(
    p_prev_hash bytea, p_chain_seq bigint, p_entry_id bigint, p_read_at timestamptz,
    p_tenant text, p_reader text, p_reader_role text, p_client_ref text, p_pathway_id uuid,
    p_what text, p_why text, p_correlation_id uuid
) RETURNS bytea
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fields text[] := ARRAY[
        p_chain_seq::text,
        p_entry_id::text,
        to_char(p_read_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        p_tenant, p_reader, p_reader_role, p_client_ref, p_pathway_id::text,
        p_what, p_why, p_correlation_id::text
    ];
    v_encoded text := 'digipolku-access-log-v1';
    v_field text;
BEGIN
    FOREACH v_field IN ARRAY v_fields LOOP
        IF v_field IS NULL THEN
            v_encoded := v_encoded || '|-';
        ELSE
            v_encoded := v_encoded || '|' || octet_length(convert_to(v_field, 'UTF8'))::text
                || ':' || v_field;
        END IF;
    END LOOP;
    RETURN sha256(p_prev_hash || convert_to(v_encoded, 'UTF8'));
END
$$
"""

_CHAIN_TRIGGER = r"""
CREATE FUNCTION access_log_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_length bigint;
    v_head bytea;
BEGIN
    -- The head's row lock is held until commit: the next insert waits here, so each entry
    -- links to the one committed just before it.
    SELECT h.length, h.head_hash INTO v_length, v_head
        FROM public.access_log_chain_head h FOR UPDATE;
    NEW.chain_seq := v_length + 1;
    NEW.prev_hash := v_head;
    NEW.row_hash := public.access_log_row_hash(
        NEW.prev_hash, NEW.chain_seq, NEW.entry_id, NEW.read_at, NEW.tenant, NEW.reader,
        NEW.reader_role, NEW.client_ref, NEW.pathway_id, NEW.what, NEW.why, NEW.correlation_id);
    UPDATE public.access_log_chain_head SET length = NEW.chain_seq, head_hash = NEW.row_hash;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.execute(
        "ALTER TABLE access_log ADD COLUMN chain_seq bigint, ADD COLUMN prev_hash bytea,"
        " ADD COLUMN row_hash bytea"
    )
    op.execute(
        """
        CREATE TABLE access_log_chain_head (
            only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
            length     bigint NOT NULL,
            head_hash  bytea NOT NULL
        )
        """
    )
    op.execute(_ROW_HASH)
    # Chain what is already there. The owner lifts its own append-only guard for this one
    # statement block; the service's role could not (it owns nothing here, decision 0024).
    op.execute("ALTER TABLE access_log DISABLE TRIGGER access_log_append_only")
    op.execute(
        r"""
        DO $$
        DECLARE
            v_prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
            v_seq bigint := 0;
            r record;
        BEGIN
            FOR r IN SELECT * FROM access_log ORDER BY entry_id LOOP
                v_seq := v_seq + 1;
                UPDATE access_log SET chain_seq = v_seq, prev_hash = v_prev,
                    row_hash = access_log_row_hash(v_prev, v_seq, r.entry_id, r.read_at,
                        r.tenant, r.reader, r.reader_role, r.client_ref, r.pathway_id, r.what,
                        r.why, r.correlation_id)
                    WHERE entry_id = r.entry_id
                    RETURNING row_hash INTO v_prev;
            END LOOP;
            INSERT INTO access_log_chain_head (length, head_hash) VALUES (v_seq, v_prev);
        END
        $$
        """
    )
    op.execute("ALTER TABLE access_log ENABLE TRIGGER access_log_append_only")
    op.execute(
        "ALTER TABLE access_log ALTER COLUMN chain_seq SET NOT NULL,"
        " ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN row_hash SET NOT NULL,"
        " ADD CONSTRAINT access_log_chain_seq_key UNIQUE (chain_seq)"
    )
    op.execute(_CHAIN_TRIGGER)
    # Fired only as a trigger; nobody calls it by hand.
    op.execute("REVOKE ALL ON FUNCTION access_log_chain() FROM PUBLIC")
    op.execute(
        "CREATE TRIGGER access_log_chain BEFORE INSERT ON access_log"
        " FOR EACH ROW EXECUTE FUNCTION access_log_chain()"
    )


def downgrade() -> None:
    raise NotImplementedError("the chain is evidence: it is never taken off the log")
