"""A system of its own for the resilience tests: supervised and behind fault-injecting proxies.

Not the session-wide `system` of tests/conftest.py: these tests kill its processes, stop its
database and cut its network, which the other tests must never meet.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deploy.system import RunningSystem, start_system
from tests.support.identities import IdentityFactory
from tests.support.registries import register_standard


@pytest.fixture(scope="session")
def faulty_system() -> Iterator[RunningSystem]:
    running = start_system(durable=False, supervised=True, proxied=True)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def faulty_identities(faulty_system: RunningSystem) -> IdentityFactory:
    register_standard(faulty_system, "kanta-hame")
    return IdentityFactory(faulty_system.issuer_url)
