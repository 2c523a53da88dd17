"""Paths that have ended (completed or discontinued): the calendar opens no more weeks.

Revision ID: tasks_0005
Revises: tasks_0004
"""

from alembic import op

revision = "tasks_0005"
down_revision = "tasks_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE plan_endings (
            pathway_id  uuid PRIMARY KEY,
            ended_on    date NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE plan_endings")
