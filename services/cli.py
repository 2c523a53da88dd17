"""`digipolku`: the operators' command-line tool for the four services.

It imports the services (it is the one place that knows all of them), but starts nothing unless
a command says so. Issue 16 adds the commands that run things; this is where they go.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Annotated

import typer
from pydantic_settings import BaseSettings

from chassis.access_log_verify import verify
from chassis.config_check import configuration_problems
from chassis.service import ServiceSpec
from chassis.settings import ServiceSettings

SERVICES = ("enrolment", "tasks", "guidance", "reporting")

app = typer.Typer(
    help="Digipolku's operator commands. Settings come from DIGIPOLKU_* environment variables.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _commands() -> None:
    """Digipolku's operator commands (a group, so that each command keeps its name)."""


def _settings_classes(service: str) -> list[type[BaseSettings]]:
    spec: ServiceSpec = importlib.import_module(f"services.{service}.app").SPEC
    return [ServiceSettings, *spec.settings]


@app.command("check-config")
def check_config(
    services: Annotated[
        list[str] | None,
        typer.Argument(help="Services to check (default: all four).", show_default=False),
    ] = None,
) -> None:
    """Print whether each service would start with the current environment, and why not.

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
        problems = configuration_problems(_settings_classes(service), service_name=service)
        if problems:
            refused = True
            typer.echo(f"{service}: refused")
            for problem in problems:
                typer.echo(f"  - {problem}")
        else:
            typer.echo(f"{service}: ok")
    raise typer.Exit(1 if refused else 0)


@app.command("verify-access-log")
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
