"""Tasks whose guidance meeting has been held (from guidance's events).

Revision ID: tasks_0003
Revises: tasks_0002
"""

from alembic import op

revision = "tasks_0003"
down_revision = "tasks_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A meeting can be held before the client answers; the answer then completes the task.
    op.execute(
        """
        CREATE TABLE held_meetings (
            pathway_id  uuid NOT NULL,
            task_id     text NOT NULL,
            meeting_id  uuid NOT NULL,
            PRIMARY KEY (pathway_id, task_id)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE held_meetings")
