"""The caseload keeps the latest week opened, early or by the calendar.

Revision ID: guidance_0003
Revises: guidance_0002
"""

from alembic import op

revision = "guidance_0003"
down_revision = "guidance_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every week's opening is now a WeekOpened event, not only the early ones.
    op.execute("ALTER TABLE caseload RENAME COLUMN early_open_week TO opened_week")


def downgrade() -> None:
    op.execute("ALTER TABLE caseload RENAME COLUMN opened_week TO early_open_week")
