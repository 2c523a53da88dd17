"""`digipolku migrate SERVICE`: bring a service's database up to date and exit (the Kubernetes
migration Job, run before the new replicas start).

The same steps a service takes at start (chassis.migrate.prepare_database): the chassis' and
the service's migrations as the migration role, under the advisory lock replicas take turns
on, then the application role's grants, then the check that the application role can only
add to the access log. Run twice, the second run finds nothing to do.

It reads only the two database URLs: a migration Job holds no session secret, Kafka
credentials or service keys.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import asyncpg
import typer
from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import SQLAlchemyError

from chassis.config_check import configuration_problems
from chassis.migrate import migrate as migrate_and_grant
from chassis.migrate import migration_lock
from chassis.production import database_roles_problem, refuse
from services.cli.common import Service, fail, spec_of


@dataclass(frozen=True)
class Migrated:
    heads: list[str]
    # What is still wrong with the application role (empty: it can only add to the log).
    problems: list[str]


class MigrationSettings(BaseSettings):
    """The settings a migration needs, and production's refusal of a migration as the
    application's own role (decision 0024)."""

    model_config = SettingsConfigDict(env_prefix="DIGIPOLKU_", extra="ignore")

    environment: Literal["development", "production"] = "production"
    # The application role's database: the role the grants go to, read from the connection.
    database_url: str
    migration_database_url: SecretStr | None = None
    # The role that alone holds the access log's rights, if the platform declares one.
    access_log_writer_role: str | None = None

    @model_validator(mode="after")
    def _separate_roles_in_production(self) -> MigrationSettings:
        if self.environment == "production":
            refuse([database_roles_problem(self.database_url, self.migration_url)])
        return self

    @property
    def migration_url(self) -> str | None:
        secret = self.migration_database_url
        return None if secret is None else secret.get_secret_value()


async def run_migrations(settings: MigrationSettings, migrations: Path) -> Migrated:
    """Migrate and grant, one runner at a time."""
    owner_url = settings.migration_url or settings.database_url
    async with migration_lock(owner_url):
        problems = await migrate_and_grant(
            settings.database_url,
            settings.migration_url,
            migrations,
            settings.access_log_writer_role,
        )
    # Read as the owner: the application role has no rights on Alembic's record.
    connection = await asyncpg.connect(owner_url)
    try:
        rows = await connection.fetch("SELECT version_num FROM alembic_version ORDER BY 1")
    finally:
        await connection.close()
    return Migrated(heads=[row["version_num"] for row in rows], problems=problems)


def migrate(
    service: Annotated[
        Service, typer.Argument(help="The service whose database to migrate.", show_default=False)
    ],
) -> None:
    """Migrate a service's database, grant its app role, and exit.

    The migrations run as DIGIPOLKU_MIGRATION_DATABASE_URL's role (the tables' owner);
    DIGIPOLKU_DATABASE_URL's role (the service's own) gets what the service needs.
    Idempotent, and safe beside starting replicas (they take the same lock). Exits 1 if the
    settings are refused, the database cannot be reached, or (in production) the service's own
    role could still rewrite the access log.
    """
    problems = configuration_problems([MigrationSettings])
    if problems:
        fail("refusing to migrate:\n" + "\n".join(f"  - {problem}" for problem in problems))
    settings = MigrationSettings()
    migrations = spec_of(service.value).migrations
    if migrations is None:
        typer.echo(f"{service.value}: no database to migrate")
        return
    try:
        migrated = asyncio.run(run_migrations(settings, migrations))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, SQLAlchemyError) as failed:
        # No traceback: the Job's log says which database refused and why.
        fail(f"{service.value}: not migrated: {type(failed).__name__}: {failed}")
    if migrated.problems and settings.environment == "production":
        fail(f"{service.value}: migrated, but " + "; ".join(migrated.problems))
    for problem in migrated.problems:
        typer.echo(f"{service.value}: warning (development only): {problem}", err=True)
    typer.echo(f"{service.value}: migrated to {', '.join(migrated.heads)}")
