"""Enrolment's own tables: the identity vault, one open path per client, the path list and
the record of erasures.

Revision ID: enrolment_0001
Revises:
"""

from alembic import op

revision = "enrolment_0001"
down_revision = None
branch_labels = ("enrolment",)
depends_on = "chassis_0001"


def upgrade() -> None:
    # Names and identity codes, AES-GCM sealed by the service before they arrive here;
    # never on Kafka, never in another table. Erasure deletes the row.
    op.execute(
        """
        CREATE TABLE client_identities (
            client_ref  text PRIMARY KEY,
            tenant      text NOT NULL,
            ciphertext  bytea NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    # The primary key is the rule: a client has at most one path running or paused.
    op.execute(
        """
        CREATE TABLE open_paths (
            client_ref  text PRIMARY KEY,
            pathway_id  uuid NOT NULL UNIQUE
        )
        """
    )
    # The counselor's list, written in each append's transaction (no names: see the vault).
    op.execute(
        """
        CREATE TABLE pathway_list (
            pathway_id     uuid PRIMARY KEY,
            tenant         text NOT NULL,
            client_ref     text NOT NULL,
            status         text NOT NULL,
            start_date     date,
            municipality   text NOT NULL,
            unit           text NOT NULL,
            cohort         text NOT NULL,
            counselor_ids  text[] NOT NULL,
            erased         boolean NOT NULL DEFAULT false,
            version        integer NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX pathway_list_client ON pathway_list (tenant, client_ref)")
    op.execute("CREATE INDEX pathway_list_counselors ON pathway_list USING gin (counselor_ids)")
    op.execute(
        """
        CREATE TABLE client_erasures (
            erasure_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            tenant       text NOT NULL,
            client_ref   text NOT NULL,
            erased_at    timestamptz NOT NULL,
            erased_by    text NOT NULL,
            reason       text NOT NULL,
            pathway_ids  uuid[] NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX client_erasures_client ON client_erasures (tenant, client_ref)")


def downgrade() -> None:
    op.execute("DROP TABLE client_erasures")
    op.execute("DROP TABLE pathway_list")
    op.execute("DROP TABLE open_paths")
    op.execute("DROP TABLE client_identities")
