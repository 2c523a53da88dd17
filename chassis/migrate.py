"""Run the Alembic migrations of the chassis and of one service against a database, then give
the service's own role the rights it needs, and no more (decision 0024).

Two roles per database: the migration role owns every table, function and trigger; the
application role (the one the service's pool uses) reads and writes the service's tables but
may only add to the access log, and cannot alter, disable or drop anything. A third role,
which cannot log in, may hold the log's rights for the application role (its member).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config

from chassis.db_roles import app_role_problems, log_writer_problems
from chassis.logs import get_logger
from chassis.settings import ServiceSettings

log = get_logger(__name__)

_CHASSIS_MIGRATIONS = Path(__file__).parent / "migrations"
# One grant at a time when several replicas start together (concurrent GRANTs on one object
# can fail with "tuple concurrently updated").
_GRANT_LOCK = "digipolku-grant-to-app-role"
_MIGRATE_LOCK = "digipolku-migrate"
# The access log's columns the application names when it writes; the rest (entry id, time,
# chain) the database fills in, so a writer cannot backdate an entry or choose its hash.
_LOG_WRITTEN_COLUMNS = (
    "tenant, reader, reader_role, client_ref, pathway_id, what, why, correlation_id"
)


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


async def grant_to_app_role(
    migration_url: str, app_role: str, log_writer_role: str | None = None
) -> None:
    """As the owner: the application role's rights on every table, now and in future tables,
    except the access log (read and append only), its chain head and Alembic's own record.

    With `log_writer_role`, the log's read and append rights go to that role instead, and the
    application role has them only as its member (`log_writer_problems` checks it is one)."""
    connection = await asyncpg.connect(migration_url)
    try:
        role = await connection.fetchval("SELECT quote_ident($1)", app_role)
        writer = await connection.fetchval("SELECT quote_ident($1)", log_writer_role or app_role)
        log_sequence = await connection.fetchval(
            "SELECT pg_get_serial_sequence('public.access_log', 'entry_id')"
        )
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", _GRANT_LOCK)
            for statement in (
                f"GRANT USAGE ON SCHEMA public TO {role}",
                "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public"
                f" TO {role}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
                f" GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO {role}",
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
                f" GRANT USAGE, SELECT ON SEQUENCES TO {role}",
                # Taken back from the log, its head and the migrations' record.
                "REVOKE ALL ON public.access_log, public.access_log_chain_head,"
                f" public.alembic_version FROM {role}",
                f"REVOKE ALL ON SEQUENCE {log_sequence} FROM {role}",
                f"GRANT SELECT ON public.access_log, public.access_log_chain_head TO {writer}",
                f"GRANT INSERT ({_LOG_WRITTEN_COLUMNS}) ON public.access_log TO {writer}",
            ):
                await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def migration_lock(database_url: str) -> AsyncIterator[None]:
    """A session advisory lock, held on a connection of its own while a replica migrates
    and grants: replicas starting together take turns, the first brings the database up to
    date, the others find nothing left to do. Alembic itself takes no lock, and two upgrades
    at once would both try to create the same tables. The lock ends with the session, so a
    replica killed while migrating does not block the others."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", _MIGRATE_LOCK)
        yield
    finally:
        await connection.close()


async def migrate(
    database_url: str,
    migration_url: str | None,
    service_migrations: Path | None = None,
    log_writer_role: str | None = None,
) -> list[str]:
    """Migrate as the migration role, grant to the application role (and the log's rights to
    `log_writer_role`, if given), and return what is still wrong with the application role
    (empty when it can only add to the log, and can add to it).

    Without a migration URL (development only; production refuses it) the application role
    migrates itself and so owns the log: the returned problems say so.
    """
    if migration_url is None:
        await upgrade_async(database_url, service_migrations)
    else:
        await upgrade_async(migration_url, service_migrations)
    connection = await asyncpg.connect(database_url)
    try:
        writer_problems = await log_writer_problems(connection, log_writer_role)
        if migration_url is not None and not writer_problems:
            app_role: str = await connection.fetchval("SELECT current_user")
            await grant_to_app_role(migration_url, app_role, log_writer_role)
        return writer_problems + await app_role_problems(connection)
    finally:
        await connection.close()


async def prepare_database(settings: ServiceSettings, service_migrations: Path | None) -> None:
    """Migrate and grant at a service's start, once at a time however many replicas start
    together; production refuses to go on if the service's own role could still rewrite the
    access log."""
    migration_url = settings.migration_database_url
    owner_url = settings.database_url if migration_url is None else migration_url.get_secret_value()
    async with migration_lock(owner_url):
        problems = await migrate(
            settings.database_url,
            None if migration_url is None else migration_url.get_secret_value(),
            service_migrations,
            settings.access_log_writer_role,
        )
    if not problems:
        return
    if settings.development:
        log.warning("the access log is not protected from this service", problems=problems)
        return
    raise RuntimeError("refusing to start: " + "; ".join(problems))
