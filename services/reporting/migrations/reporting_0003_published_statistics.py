"""What reporting last published of each tenant's month (decision 0032).

Revision ID: reporting_0003
Revises: reporting_0002

Not a projection: a rebuild leaves it alone, so a month's revisions go on counting up on the
public topic, where subscribers keep the highest.
"""

from alembic import op

revision = "reporting_0003"
down_revision = "reporting_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE published_statistics (
            tenant        text NOT NULL,
            month         text NOT NULL,
            revision      integer NOT NULL,
            digest        text NOT NULL,
            published_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant, month)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE published_statistics")
