"""The one fixture behind every test that needs PostgreSQL and Kafka.

Where a Docker engine answers, testcontainers starts PostgreSQL and Kafka containers. Where none
does (testcontainers fails at once with DockerException), the same throwaway processes that
`make run` uses are started instead. Tests see one interface either way.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from chassis.event_store import create_pool
from chassis.migrate import upgrade_async
from deploy.databases import create_database, dsn_in
from deploy.local_stack import start_infrastructure


@dataclass
class TestInfrastructure:
    """A PostgreSQL server and a Kafka-protocol broker for one test session."""

    __test__ = False  # not a test class, despite the name

    admin_dsn: str
    kafka_bootstrap: str
    kind: str
    _stop: Callable[[], None]
    _restart_broker: Callable[[], None] | None = None
    _databases: list[str] = field(default_factory=list)

    def dsn_for(self, database: str) -> str:
        return dsn_in(self.admin_dsn, database)

    async def create_database(self, prefix: str = "test") -> str:
        """A new empty database; returns its DSN."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        dsn = await create_database(self.admin_dsn, name)
        self._databases.append(name)
        return dsn

    @contextlib.asynccontextmanager
    async def migrated_pool(self, prefix: str, migrations: Path) -> AsyncIterator[asyncpg.Pool]:
        """A pool on a new database with the chassis's and `migrations`' tables, for tests
        that project events into a service's read model."""
        dsn = await self.create_database(prefix)
        await upgrade_async(dsn, migrations)
        pool = await create_pool(dsn, max_size=4)
        try:
            yield pool
        finally:
            await pool.close()

    @property
    def can_restart_broker(self) -> bool:
        return self._restart_broker is not None

    def restart_broker(self) -> None:
        """Stop and start the broker on the same address (all topics are lost)."""
        if self._restart_broker is None:
            raise RuntimeError("this broker cannot be restarted in place")
        self._restart_broker()

    def stop(self) -> None:
        self._stop()


def docker_answers() -> bool:
    try:
        import docker
        from docker.errors import DockerException
    except ImportError:
        return False
    try:
        docker.from_env().ping()
    except DockerException:
        return False
    return True


def _start_containers() -> TestInfrastructure:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    postgres = PostgresContainer("postgres:15", driver=None).start()
    kafka = KafkaContainer().with_kraft().start()

    def stop() -> None:
        with contextlib.suppress(Exception):
            kafka.stop()
        postgres.stop()

    return TestInfrastructure(
        admin_dsn=postgres.get_connection_url(),
        kafka_bootstrap=kafka.get_bootstrap_server(),
        kind="testcontainers",
        _stop=stop,
    )


def _start_local() -> TestInfrastructure:
    infra = start_infrastructure(durable=False)
    return TestInfrastructure(
        admin_dsn=infra.postgres.dsn,
        kafka_bootstrap=infra.kafka.bootstrap_servers,
        kind="local processes",
        _stop=infra.stop,
        _restart_broker=infra.kafka.restart,
    )


def start_test_infrastructure() -> TestInfrastructure:
    return _start_containers() if docker_answers() else _start_local()
