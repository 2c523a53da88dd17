"""A revision of each tenant's figures, new with every batch that changes them.

Revision ID: reporting_0004
Revises: reporting_0003

The figures of a group are computed from every path of the tenant on each request, which at
10,000 paths takes seconds (issue 15). They only change when the projection writes the tenant's
rows, so the service keeps each group's figures under the tenant's revision and computes them
again when it has moved (adapters/figures_cache.py). A random id rather than a counter: a
blue/green rebuild starts the table afresh, and a counter would repeat values already cached.
"""

from alembic import op

revision = "reporting_0004"
down_revision = "reporting_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE report_freshness ADD COLUMN revision uuid NOT NULL DEFAULT gen_random_uuid()"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE report_freshness DROP COLUMN revision")
