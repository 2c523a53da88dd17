"""The caseload's status and attention facts, meeting notes, and erasure marks.

Revision ID: guidance_0004
Revises: guidance_0003

The new caseload columns are filled by the projection from now on; paths already under way
get them by a rebuild of the caseload (chassis.rebuild), which replays the topics from zero.
"""

from alembic import op

revision = "guidance_0004"
down_revision = "guidance_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each column is kept by handlers that commute with the other topics' handlers (sets,
    # greatest times, values set by one stream only), so any interleaving ends the same.
    op.execute(
        """
        ALTER TABLE caseload
            ADD COLUMN resumed_on               date,
            ADD COLUMN ended_on                 date,
            ADD COLUMN answered_weeks           integer[] NOT NULL DEFAULT '{}',
            ADD COLUMN last_client_activity_at  timestamptz,
            ADD COLUMN last_help_at             timestamptz,
            ADD COLUMN meetings_waiting         uuid[] NOT NULL DEFAULT '{}',
            ADD COLUMN last_meeting_held_at     timestamptz,
            ADD COLUMN last_feedback_at         timestamptz,
            ADD COLUMN follow_ups_recorded      text[] NOT NULL DEFAULT '{}',
            ADD COLUMN erased_at                timestamptz,
            ADD COLUMN updated_at               timestamptz NOT NULL DEFAULT clock_timestamp()
        """
    )
    # The counselor's page follows updated_at. A trigger moves it on every real change, so no
    # handler can forget to, and an update that changes nothing does not wake the pages.
    op.execute(
        """
        CREATE FUNCTION caseload_touched() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW IS DISTINCT FROM OLD THEN
                NEW.updated_at := clock_timestamp();
            END IF;
            RETURN NEW;
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER caseload_touched BEFORE UPDATE ON caseload"
        " FOR EACH ROW EXECUTE FUNCTION caseload_touched()"
    )
    # Feedback is refused on an answer whose client was erased; the row stays so that the
    # answer is known to have existed.
    op.execute("ALTER TABLE answers_seen ADD COLUMN erased boolean NOT NULL DEFAULT false")
    # The paths whose client was erased, as the answers projection knows them: an answer
    # replayed after its erasure (topics interleave freely in a rebuild) is marked at once.
    op.execute("CREATE TABLE erased_paths (pathway_id uuid PRIMARY KEY)")
    op.execute("CREATE INDEX answers_seen_pathway ON answers_seen (pathway_id)")
    op.execute("CREATE INDEX feedback_texts_answer ON feedback_texts (answer_id)")
    # The counselor's notes of a meeting: free text, never in an event, erasable with the client.
    op.execute(
        """
        CREATE TABLE meeting_notes (
            note_id          uuid PRIMARY KEY,
            pathway_id       uuid NOT NULL,
            meeting_id       uuid NOT NULL,
            counselor_id     text NOT NULL,
            body             text NOT NULL,
            written_at       timestamptz NOT NULL,
            idempotency_key  text UNIQUE
        )
        """
    )
    op.execute("CREATE INDEX meeting_notes_pathway ON meeting_notes (pathway_id, written_at)")


def downgrade() -> None:
    op.execute("DROP TABLE meeting_notes")
    op.execute("DROP INDEX feedback_texts_answer")
    op.execute("DROP INDEX answers_seen_pathway")
    op.execute("DROP TABLE erased_paths")
    op.execute("ALTER TABLE answers_seen DROP COLUMN erased")
    op.execute("DROP TRIGGER caseload_touched ON caseload")
    op.execute("DROP FUNCTION caseload_touched()")
    op.execute(
        """
        ALTER TABLE caseload
            DROP COLUMN resumed_on,
            DROP COLUMN ended_on,
            DROP COLUMN answered_weeks,
            DROP COLUMN last_client_activity_at,
            DROP COLUMN last_help_at,
            DROP COLUMN meetings_waiting,
            DROP COLUMN last_meeting_held_at,
            DROP COLUMN last_feedback_at,
            DROP COLUMN follow_ups_recorded,
            DROP COLUMN erased_at,
            DROP COLUMN updated_at
        """
    )
