"""A system of its own for the resilience tests: supervised and behind fault-injecting proxies.

Not the session-wide `system` of tests/conftest.py: these tests kill its processes, stop its
database and cut its network, which the other tests must never meet.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.system import RunningSystem, start_system
from tests.support.identities import IdentityFactory
from tests.support.registries import register_standard

HERE = Path(__file__).parent
# Mine: the whole-system tests of decision 0028 that take long (a service's restart, a
# statement timeout) stay out of `make test`'s minute; `pytest -m slow tests/resilience` runs
# them.
MINE = {"test_supervisor.py", "test_outages.py", "test_tcp_proxy.py", "test_outage_drafts.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("markexpr"):
        return  # a selection was asked for: it decides
    skip = pytest.mark.skip(reason="long: runs with `pytest -m slow tests/resilience`")
    for item in items:
        if item.path.parent == HERE and item.path.name in MINE and "slow" in item.keywords:
            item.add_marker(skip)


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
