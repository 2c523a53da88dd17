"""Session-wide fixtures: one PostgreSQL and one Kafka-protocol broker for the whole run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deploy.test_infrastructure import TestInfrastructure, start_test_infrastructure


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[TestInfrastructure]:
    infra = start_test_infrastructure()
    try:
        yield infra
    finally:
        infra.stop()
