"""Cross-service fixtures: the whole system, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deploy.system import RunningSystem, start_system
from tests.support.identities import IdentityFactory


@pytest.fixture(scope="session")
def system() -> Iterator[RunningSystem]:
    running = start_system(durable=False)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def identities(system: RunningSystem) -> IdentityFactory:
    return IdentityFactory(system.issuer_url)
