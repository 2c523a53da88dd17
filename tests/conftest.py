"""Cross-service fixtures: the whole system, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deploy.system import RunningSystem, start_system
from tests.support.identities import IdentityFactory
from tests.support.registries import register_standard


@pytest.fixture(scope="session")
def system() -> Iterator[RunningSystem]:
    running = start_system(durable=False)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def identities(system: RunningSystem) -> IdentityFactory:
    # Paths name registered units and cohorts only: the usual ones exist for every test.
    for tenant in ("kanta-hame", "pirkanmaa"):
        register_standard(system, tenant)
    return IdentityFactory(system.issuer_url)
