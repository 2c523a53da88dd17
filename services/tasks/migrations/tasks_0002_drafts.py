"""Answer drafts, saved while the client types.

Revision ID: tasks_0002
Revises: tasks_0001
"""

from alembic import op

revision = "tasks_0002"
down_revision = "tasks_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE answer_drafts (
            pathway_id  uuid NOT NULL,
            task_id     text NOT NULL,
            body        text NOT NULL,
            updated_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (pathway_id, task_id)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE answer_drafts")
