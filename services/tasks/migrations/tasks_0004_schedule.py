"""Pauses of each path (from enrolment's events) and the next calendar opening of a week.

Revision ID: tasks_0004
Revises: tasks_0003
"""

from alembic import op

revision = "tasks_0004"
down_revision = "tasks_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE plan_pauses (
            pathway_id  uuid NOT NULL,
            paused_on   date NOT NULL,
            resumed_on  date,
            PRIMARY KEY (pathway_id, paused_on)
        )
        """
    )
    # One row per path with a week still to open; opens_on is NULL while a pause goes on.
    # The week scheduler looks only at rows that are due, so its tick costs little.
    op.execute(
        """
        CREATE TABLE week_schedule (
            pathway_id  uuid PRIMARY KEY,
            next_week   integer NOT NULL,
            opens_on    date
        )
        """
    )
    op.execute("CREATE INDEX week_schedule_due ON week_schedule (opens_on)")


def downgrade() -> None:
    op.execute("DROP TABLE week_schedule")
    op.execute("DROP TABLE plan_pauses")
