"""Server-side sessions of the pages (decision 0022).

The browser holds only an opaque random id; the row is found by its SHA-256, so a copy of
the table cannot be replayed as cookies. The tokens are sealed with a key derived from the
id (chassis.sessions), so the row alone neither reveals an identity code nor can be used as
a bearer token.

Revision ID: chassis_0004
Revises: chassis_0003
"""

from alembic import op

revision = "chassis_0004"
down_revision = "chassis_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE sessions (
            id_hash        bytea PRIMARY KEY,
            subject        text NOT NULL,
            role           text NOT NULL,
            tenant         text NOT NULL,
            client_ref     text,
            name           text,
            acr            text,
            sealed_tokens  bytea,
            created_at     timestamptz NOT NULL,
            last_seen_at   timestamptz NOT NULL,
            expires_at     timestamptz NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE sessions")
