"""Feedback texts and the answers they can be given on.

Revision ID: guidance_0002
Revises: guidance_0001
"""

from alembic import op

revision = "guidance_0002"
down_revision = "guidance_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Free text lives here, never in an event, so that erasing a client removes it for good.
    op.execute(
        """
        CREATE TABLE feedback_texts (
            feedback_id   uuid PRIMARY KEY,
            pathway_id    uuid NOT NULL,
            answer_id     uuid NOT NULL,
            counselor_id  text NOT NULL,
            body          text NOT NULL,
            given_at      timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX feedback_texts_pathway ON feedback_texts (pathway_id, given_at)")
    # A projection of tasks' TaskAnswered: feedback is given only on an answer guidance knows.
    op.execute(
        """
        CREATE TABLE answers_seen (
            answer_id    uuid PRIMARY KEY,
            pathway_id   uuid NOT NULL,
            task_id      text NOT NULL,
            kind         text NOT NULL,
            answered_at  timestamptz NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE answers_seen")
    op.execute("DROP TABLE feedback_texts")
