"""What reporting publishes for a set of paths under the cell-key method (decision 0031), with
the development key every local system runs with: end-to-end tests know their paths' ids, so
they can expect each count exactly, noise and all."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from chassis.versioned_keys import parse_versioned_key
from services.reporting.domain.cell_key import cell_key, perturbed_count, record_key
from services.reporting.settings import DEVELOPMENT_ONLY_CELL_KEY
from tests.support.identities import TENANT

DEVELOPMENT_SECRET = parse_versioned_key("cell key", DEVELOPMENT_ONLY_CELL_KEY).secret
HIDDEN = {"value": None, "suppressed": True}
# Nothing to compute (no path, as published): not hidden, just empty.
NOTHING = {"value": None, "suppressed": False}


def count_of(pathway_ids: Iterable[str | UUID], tenant: str = TENANT) -> int:
    """The published count of these paths of `tenant`."""
    ids = [UUID(str(pathway_id)) for pathway_id in pathway_ids]
    keys = (record_key(DEVELOPMENT_SECRET, tenant, pathway_id) for pathway_id in ids)
    return perturbed_count(len(ids), cell_key(keys))


def shown(value: int | float) -> dict[str, Any]:
    return {"value": value, "suppressed": False}


def counted(pathway_ids: Iterable[str | UUID], tenant: str = TENANT) -> dict[str, Any]:
    return shown(count_of(pathway_ids, tenant))
