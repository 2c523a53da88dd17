"""The access log: who read whose data, what, when and why. Append-only.

Revision ID: chassis_0002
Revises: chassis_0001
"""

from alembic import op

revision = "chassis_0002"
down_revision = "chassis_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE access_log (
            entry_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            read_at       timestamptz NOT NULL DEFAULT now(),
            tenant        text NOT NULL,
            reader        text NOT NULL,
            reader_role   text NOT NULL,
            client_ref    text NOT NULL,
            pathway_id    uuid,
            what          text NOT NULL,
            why           text NOT NULL,
            correlation_id uuid
        )
        """
    )
    op.execute("CREATE INDEX access_log_client ON access_log (tenant, client_ref, read_at)")
    # Nobody edits the log, not even the service's own database role: a trigger refuses
    # every UPDATE and DELETE, and TRUNCATE too.
    op.execute(
        """
        CREATE FUNCTION access_log_is_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the access log is append-only' USING ERRCODE = 'DP403';
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log"
        " FOR EACH ROW EXECUTE FUNCTION access_log_is_append_only()"
    )
    op.execute(
        "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log"
        " FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TABLE access_log")
    op.execute("DROP FUNCTION access_log_is_append_only()")
