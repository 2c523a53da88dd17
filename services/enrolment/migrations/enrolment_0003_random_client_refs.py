"""Random client references found through a keyed lookup hash; erasure reasons as codes.

`client_identities` gains the lookup hash (HMAC of tenant and identity code under the
pseudonym key) and the key's version: the only link from a person to their random client_ref
(decision 0025). Rows written before have no hash, so a later path of theirs gets a new
reference; only development data exists from before (no production data), so nothing needs
re-hashing. Erasure reasons become codes from a fixed list; an earlier typed reason cannot be
mapped to one and may hold what erasure must not keep, so it becomes `other`.

Revision ID: enrolment_0003
Revises: enrolment_0002
"""

from alembic import op

revision = "enrolment_0003"
down_revision = "enrolment_0002"
branch_labels = None
depends_on = None

# contracts.events.enrolment.ErasureReason as it was at this revision (a migration never
# follows later edits of the code).
REASONS = ("client_request", "entered_in_error", "unlawful_processing", "retention_ended", "other")


def upgrade() -> None:
    op.execute("ALTER TABLE client_identities ADD COLUMN lookup_hash text")
    op.execute("ALTER TABLE client_identities ADD COLUMN key_version integer")
    op.execute(
        "CREATE UNIQUE INDEX client_identities_lookup"
        " ON client_identities (key_version, lookup_hash) WHERE lookup_hash IS NOT NULL"
    )
    listed = ", ".join(f"'{reason}'" for reason in REASONS)
    op.execute(f"UPDATE client_erasures SET reason = 'other' WHERE reason NOT IN ({listed})")
    op.execute(
        f"ALTER TABLE client_erasures ADD CONSTRAINT client_erasures_reason_code"
        f" CHECK (reason IN ({listed}))"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE client_erasures DROP CONSTRAINT client_erasures_reason_code")
    op.execute("DROP INDEX client_identities_lookup")
    op.execute("ALTER TABLE client_identities DROP COLUMN key_version")
    op.execute("ALTER TABLE client_identities DROP COLUMN lookup_hash")
