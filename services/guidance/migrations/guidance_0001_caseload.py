"""The counselor's caseload read model.

Revision ID: guidance_0001
Revises:
"""

from alembic import op

revision = "guidance_0001"
down_revision = None
branch_labels = ("guidance",)
depends_on = "chassis_0001"


def upgrade() -> None:
    # Events of one path come from two topics in no fixed order between them, so every
    # column but the key may arrive before PathwayOpened fills in the rest.
    op.execute(
        """
        CREATE TABLE caseload (
            pathway_id        uuid PRIMARY KEY,
            tenant            text NOT NULL,
            client_ref        text,
            counselor_ids     text[] NOT NULL DEFAULT '{}',
            municipality      text,
            unit              text,
            cohort            text,
            start_date        date,
            status            text NOT NULL DEFAULT 'active',
            answers           integer NOT NULL DEFAULT 0,
            help_requests     integer NOT NULL DEFAULT 0,
            early_open_week   integer NOT NULL DEFAULT 0,
            direction         text,
            last_activity_at  timestamptz
        )
        """
    )
    op.execute("CREATE INDEX caseload_counselors ON caseload USING gin (counselor_ids)")


def downgrade() -> None:
    op.execute("DROP TABLE caseload")
