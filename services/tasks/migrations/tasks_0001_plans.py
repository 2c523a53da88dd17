"""Tasks' own tables: who owns which plan, and the erasable answer texts.

Revision ID: tasks_0001
Revises:
"""

from alembic import op

revision = "tasks_0001"
down_revision = None
branch_labels = ("tasks",)
depends_on = "chassis_0001"


def upgrade() -> None:
    # Written in the transaction that starts the plan; updated from enrolment's events.
    op.execute(
        """
        CREATE TABLE plan_access (
            pathway_id     uuid PRIMARY KEY,
            tenant         text NOT NULL,
            client_ref     text NOT NULL,
            counselor_ids  text[] NOT NULL DEFAULT '{}'
        )
        """
    )
    op.execute("CREATE INDEX plan_access_client ON plan_access (tenant, client_ref)")
    # Free text lives outside the events so that erasure never rewrites history.
    op.execute(
        """
        CREATE TABLE answer_texts (
            answer_id   uuid PRIMARY KEY,
            pathway_id  uuid NOT NULL,
            task_id     text NOT NULL,
            body        text NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX answer_texts_pathway ON answer_texts (pathway_id)")
    op.execute(
        """
        CREATE TABLE direction_reasons (
            pathway_id  uuid NOT NULL,
            direction   text NOT NULL,
            body        text NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (pathway_id, created_at)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE direction_reasons")
    op.execute("DROP TABLE answer_texts")
    op.execute("DROP TABLE plan_access")
