"""The commands an operator runs against a deployed service: check its configuration, walk
its access log, rebuild a projection."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from chassis.access_log_verify import verify
from chassis.blue_green import RebuildRefused, rebuild_blue_green
from chassis.config_check import configuration_problems
from chassis.kafka_security import kafka_security
from chassis.logs import configure_logging
from chassis.projector import Projection
from chassis.rebuild_progress import RebuildProgress
from chassis.service import ServiceSpec
from chassis.settings import ServiceSettings
from services.cli.common import SERVICES, refuse_if_misconfigured, settings_classes, spec_of


def _projections() -> dict[str, tuple[ServiceSpec, Projection]]:
    """Every projection a service keeps from its topics, by name, with its service."""
    found: dict[str, tuple[ServiceSpec, Projection]] = {}
    for service in SERVICES:
        spec = spec_of(service)
        for projection in spec.projections:
            found[projection.name] = (spec, projection)
    return found


def check_config(
    services: Annotated[
        list[str] | None,
        typer.Argument(help="Services to check (default: all four).", show_default=False),
    ] = None,
) -> None:
    """Say whether each service would start with this environment, and why not.

    Nothing is started and no connection is made; the verdict is the one a service gives at
    start. Exits 1 if any service would refuse.
    """
    chosen = services or list(SERVICES)
    unknown = [name for name in chosen if name not in SERVICES]
    if unknown:
        raise typer.BadParameter(
            f"unknown service {', '.join(unknown)}; choose from {', '.join(SERVICES)}"
        )
    refused = False
    for service in chosen:
        problems = configuration_problems(settings_classes(service), service_name=service)
        if problems:
            refused = True
            typer.echo(f"{service}: refused")
            for problem in problems:
                typer.echo(f"  - {problem}")
        else:
            typer.echo(f"{service}: ok")
    raise typer.Exit(1 if refused else 0)


def verify_access_log(
    database_url: Annotated[
        str,
        typer.Option(
            envvar="DIGIPOLKU_DATABASE_URL",
            help="The service's database (its own role may read the log).",
            show_default=False,
        ),
    ],
) -> None:
    """Walk a service's access log chain: 'ok, N entries' or the first broken link.

    Exits 1 if the chain is broken (decision 0024).
    """
    verdict = asyncio.run(verify(database_url))
    typer.echo(str(verdict))
    raise typer.Exit(0 if verdict.ok else 1)


def rebuild(
    projection: Annotated[
        str,
        typer.Argument(
            help="The projection to rebuild (e.g. caseload, figures, tasks_plan_access).",
            show_default=False,
        ),
    ],
) -> None:
    """Rebuild a projection from its topics beside the live one, then switch.

    The new tables fill while the live ones serve; one transaction switches to them and the
    old ones are dropped (decision 0033). Shows the events replayed, the rate and the time
    left. The settings are the owning service's (DIGIPOLKU_*); the tables are rebuilt as
    DIGIPOLKU_MIGRATION_DATABASE_URL's role (their owner) when it is set. A rebuild that fails
    leaves the live tables as they were, and exits 1.
    """
    known = _projections()
    if projection not in known:
        raise typer.BadParameter(
            f"unknown projection {projection}; choose from {', '.join(sorted(known))}"
        )
    spec, chosen = known[projection]
    refuse_if_misconfigured(spec.name)
    settings = ServiceSettings(service_name=spec.name)
    configure_logging(spec.name)
    owner = settings.migration_database_url
    try:
        with RebuildProgress(chosen.name) as progress:
            read = asyncio.run(
                rebuild_blue_green(
                    settings.database_url if owner is None else owner.get_secret_value(),
                    chosen,
                    settings.kafka_bootstrap,
                    spec.subscribes,
                    security=kafka_security(settings),
                    service=spec.name,
                    progress=progress,
                )
            )
    except RebuildRefused as refused:
        typer.echo(f"{chosen.name}: not rebuilt: {refused}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{chosen.name}: rebuilt from {read} messages and switched")
