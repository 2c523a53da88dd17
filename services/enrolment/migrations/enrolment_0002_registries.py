"""The tenant's registries: units and cohorts kept by its admin, and the staff directory.

Revision ID: enrolment_0002
Revises: enrolment_0001
"""

from alembic import op

revision = "enrolment_0002"
down_revision = "enrolment_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Units and cohorts have one shape: a short code that events carry, names for people.
    # A retired entry stays (old paths still refer to it) but no new path may use it.
    for table in ("registry_units", "registry_cohorts"):
        op.execute(
            f"""
            CREATE TABLE {table} (
                tenant      text NOT NULL,
                code        text NOT NULL,
                name_fi     text NOT NULL,
                name_sv     text,
                retired_at  timestamptz,
                created_at  timestamptz NOT NULL DEFAULT now(),
                updated_at  timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant, code)
            )
            """
        )
    # Staff the tenant's issuer vouched for (seen with a valid token) or an admin entered.
    # `active` false: left the tenant; kept so old paths still name a known person.
    op.execute(
        """
        CREATE TABLE staff_directory (
            tenant        text NOT NULL,
            subject       text NOT NULL,
            role          text NOT NULL,
            display_name  text,
            active        boolean NOT NULL DEFAULT true,
            source        text NOT NULL,
            first_seen    timestamptz NOT NULL DEFAULT now(),
            updated_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant, subject)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE staff_directory")
    op.execute("DROP TABLE registry_cohorts")
    op.execute("DROP TABLE registry_units")
