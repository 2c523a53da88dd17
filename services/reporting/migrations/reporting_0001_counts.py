"""Reporting's first read model: one row per path, enough for the headline counts.

Revision ID: reporting_0001
Revises:
"""

from alembic import op

revision = "reporting_0001"
down_revision = None
branch_labels = ("reporting",)
depends_on = "chassis_0001"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE report_paths (
            pathway_id    uuid PRIMARY KEY,
            tenant        text NOT NULL,
            municipality  text,
            unit          text,
            cohort        text,
            opened_on     date,
            answers       integer NOT NULL DEFAULT 0,
            direction     text
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE report_paths")
