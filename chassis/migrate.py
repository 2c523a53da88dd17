"""Run the Alembic migrations of the chassis and of one service against a database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

_CHASSIS_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, service_migrations: Path | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_CHASSIS_MIGRATIONS))
    locations = [str(_CHASSIS_MIGRATIONS / "versions")]
    if service_migrations is not None:
        locations.append(str(service_migrations))
    # A space separates the locations; none of our paths has one.
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    url = database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(database_url: str, service_migrations: Path | None = None) -> None:
    """Bring the database to every head (chassis and service branches)."""
    command.upgrade(alembic_config(database_url, service_migrations), "heads")


async def upgrade_async(database_url: str, service_migrations: Path | None = None) -> None:
    # Alembic's env runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade, database_url, service_migrations)
