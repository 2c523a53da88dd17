"""Replicas that start together migrate once: `prepare_database` takes turns under a lock."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import asyncpg

from deploy.test_infrastructure import TestInfrastructure

REPO_ROOT = Path(__file__).resolve().parents[2]

# A service branch whose one migration counts how often it ran. Without the lock, three
# upgrades at once on a fresh database collide (the same tables, the same version row).
_COUNTING_MIGRATION = """
from alembic import op

revision = "locktest_0001"
down_revision = None
branch_labels = ("locktest",)
depends_on = "chassis_0001"


def upgrade() -> None:
    op.execute("CREATE TABLE IF NOT EXISTS migration_runs (ran_at timestamptz DEFAULT now())")
    op.execute("INSERT INTO migration_runs DEFAULT VALUES")


def downgrade() -> None:
    op.execute("DROP TABLE migration_runs")
"""


# One replica's start-up, as its own process (as replicas are): migrate and grant.
_REPLICA = """
import asyncio, sys, time
from pathlib import Path
from chassis.migrate import prepare_database
from chassis.settings import ServiceSettings
settings = ServiceSettings(service_name="locktest", environment="development",
                           database_url=sys.argv[1])
time.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # all three at the same moment
asyncio.run(prepare_database(settings, Path(sys.argv[2])))
"""


async def test_three_replicas_starting_together_all_succeed_and_migrate_once(
    infrastructure: TestInfrastructure, tmp_path: Path
) -> None:
    (tmp_path / "locktest_0001.py").write_text(_COUNTING_MIGRATION)
    dsn = await infrastructure.create_database("locktest")
    together = str(time.time() + 3.5)  # after every replica has imported its modules
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _REPLICA,
            dsn,
            str(tmp_path),
            together,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(3)
    ]
    try:
        # Bounded: unlocked, the upgrades can also wait on each other's DDL for ever.
        async with asyncio.timeout(60):
            outputs = [(await replica.communicate())[0].decode() for replica in replicas]
    finally:
        for replica in replicas:
            if replica.returncode is None:
                replica.kill()
                await replica.wait()
    assert [replica.returncode for replica in replicas] == [0, 0, 0], outputs
    connection = await asyncpg.connect(dsn)
    try:
        assert await connection.fetchval("SELECT count(*) FROM migration_runs") == 1
        heads = {
            row["version_num"] for row in await connection.fetch("SELECT * FROM alembic_version")
        }
        assert "locktest_0001" in heads
        assert any(head.startswith("chassis_") for head in heads)
    finally:
        await connection.close()
