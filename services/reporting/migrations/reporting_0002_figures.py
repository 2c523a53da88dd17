"""The figures' read model: the path's start and direction dates, its end, weeks, meetings,
outcomes, self-assessment scores, and per tenant the time of the latest event applied.

Revision ID: reporting_0002
Revises: reporting_0001

The projection is renamed from `counts` to `figures` and keeps its checkpoints. The new tables
are filled from now on; paths already under way get them by a rebuild of the projection
(chassis.rebuild), which replays the topics from zero.
"""

from alembic import op

revision = "reporting_0002"
down_revision = "reporting_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # report_paths keeps what is known of a path while it runs; its end lives apart.
    op.execute(
        """
        ALTER TABLE report_paths
            ADD COLUMN start_date           date,
            ADD COLUMN direction_chosen_on  date,
            ADD COLUMN direction_changes    integer NOT NULL DEFAULT 0
        """
    )
    op.execute("CREATE INDEX report_paths_tenant ON report_paths (tenant, opened_on)")
    op.execute(
        """
        CREATE TABLE report_path_ends (
            pathway_id  uuid PRIMARY KEY,
            ending      text NOT NULL CHECK (ending IN ('completed', 'discontinued')),
            ended_on    date NOT NULL,
            reason      text
        )
        """
    )
    # One row per path and week: when the week opened, and its written answers.
    op.execute(
        """
        CREATE TABLE report_weeks (
            pathway_id       uuid NOT NULL,
            week             smallint NOT NULL,
            opened_on        date,
            answers_on_time  integer NOT NULL DEFAULT 0,
            answers_late     integer NOT NULL DEFAULT 0,
            PRIMARY KEY (pathway_id, week)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE report_meetings (
            pathway_id  uuid PRIMARY KEY,
            requested   integer NOT NULL DEFAULT 0,
            held        integer NOT NULL DEFAULT 0,
            missed      integer NOT NULL DEFAULT 0
        )
        """
    )
    op.execute(
        """
        CREATE TABLE report_outcomes (
            pathway_id  uuid NOT NULL,
            follow_up   text NOT NULL,
            outcome     text NOT NULL,
            PRIMARY KEY (pathway_id, follow_up)
        )
        """
    )
    # Scores item by item, as given: areas are worked out when figures are read, from the
    # instrument files, so a change of the mapping needs no rebuild.
    op.execute(
        """
        CREATE TABLE report_assessments (
            pathway_id          uuid NOT NULL,
            instrument_id       text NOT NULL,
            phase               text NOT NULL,
            instrument_version  text NOT NULL,
            scores              jsonb NOT NULL,
            PRIMARY KEY (pathway_id, instrument_id, phase)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE report_freshness (
            tenant           text PRIMARY KEY,
            latest_event_at  timestamptz NOT NULL
        )
        """
    )
    op.execute("UPDATE projection_tracking SET projection = 'figures' WHERE projection = 'counts'")


def downgrade() -> None:
    op.execute("UPDATE projection_tracking SET projection = 'counts' WHERE projection = 'figures'")
    for table in (
        "report_freshness",
        "report_assessments",
        "report_outcomes",
        "report_meetings",
        "report_weeks",
        "report_path_ends",
    ):
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP INDEX report_paths_tenant")
    op.execute(
        """
        ALTER TABLE report_paths
            DROP COLUMN start_date,
            DROP COLUMN direction_chosen_on,
            DROP COLUMN direction_changes
        """
    )
