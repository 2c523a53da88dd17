"""The fault-injecting TCP proxy (decision 0028), each control against a real service whose
database and broker traffic goes through it: delay makes it slower but it answers; a hang
makes it not ready within the readiness probe's 2 s; heal makes it ready again; dropped
connections are made again."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator

import httpx
import pytest

from deploy.system import RunningSystem
from tests.support.waiting import eventually

PROBE_TIMEOUT = 2.0  # what a readiness probe waits (deploy.system.service_ready, Kubernetes)


def readyz(system: RunningSystem, name: str = "tasks") -> tuple[int, float]:
    started = time.monotonic()
    response = httpx.get(f"{system.urls[name]}/readyz", timeout=30)
    return response.status_code, time.monotonic() - started


def ready(system: RunningSystem, name: str = "tasks") -> bool:
    return system.service_ready(name)


@pytest.fixture
def healed(faulty_system: RunningSystem) -> Iterator[RunningSystem]:
    yield faulty_system
    for proxy in faulty_system.proxies.values():
        proxy.heal()
    eventually(functools.partial(ready, faulty_system), what="tasks ready after the test")


def test_delay_makes_the_database_slower_but_it_answers(healed: RunningSystem) -> None:
    eventually(functools.partial(ready, healed), what="tasks ready")
    # Warm: the pool's connections are made (a new one takes several round trips).
    timings = [readyz(healed) for _ in range(3)]
    assert all(status == 200 for status, _ in timings)
    before = min(seconds for _, seconds in timings)
    healed.proxies["postgres"].delay(0.1)
    status, slowed = readyz(healed)
    assert status == 200
    # SELECT 1 alone goes there and back through the proxy: at least 0.2 s more.
    assert slowed >= before + 0.2, (before, slowed)


def test_a_hang_makes_the_service_not_ready_and_heal_ready_again(healed: RunningSystem) -> None:
    eventually(functools.partial(ready, healed), what="tasks ready")
    for name in ("postgres", "kafka"):
        proxy = healed.proxies[name]
        proxy.hang()
        started = time.monotonic()
        assert not ready(healed), f"ready while {name} hangs"
        assert time.monotonic() - started <= PROBE_TIMEOUT + 0.5
        assert proxy.open_connections > 0  # held open, not cut
        # The service itself says so in the probe's time, not at its statement timeout.
        status, took = readyz(healed)
        assert status == 503 and took <= PROBE_TIMEOUT + 1.0, (name, status, took)
        proxy.heal()
        eventually(
            functools.partial(ready, healed), timeout=60, what=f"tasks ready after {name} heals"
        )


def test_dropped_connections_are_made_again(healed: RunningSystem) -> None:
    eventually(functools.partial(ready, healed), what="tasks ready")
    for name in ("postgres", "kafka"):
        proxy = healed.proxies[name]
        accepted = proxy.accepted
        assert proxy.drop_connections() > 0
        eventually(functools.partial(ready, healed), timeout=60, what=f"ready after {name} drop")
        eventually(lambda: proxy.accepted > accepted, what=f"new connections to {name}")  # noqa: B023
