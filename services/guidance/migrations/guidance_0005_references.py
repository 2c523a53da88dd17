"""The caseload keeps the curriculum version each path's plan was made with; a meeting note
keeps its command's fingerprint beside its idempotency key.

Revision ID: guidance_0005
Revises: guidance_0004

The version comes from tasks' PlanStarted; paths under way get it by a rebuild of the caseload
(until then guidance checks their task ids against every published curriculum, decision 0019).
"""

from alembic import op

revision = "guidance_0005"
down_revision = "guidance_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE caseload ADD COLUMN curriculum_version text")
    # Notes announce themselves with no event, so their key is checked here, not in the store.
    op.execute("ALTER TABLE meeting_notes ADD COLUMN fingerprint text")


def downgrade() -> None:
    op.execute("ALTER TABLE meeting_notes DROP COLUMN fingerprint")
    op.execute("ALTER TABLE caseload DROP COLUMN curriculum_version")
