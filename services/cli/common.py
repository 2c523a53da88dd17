"""What the commands share: the services by name, their specs and settings, and how a command
says no (a short message and a non-zero exit, never a stack trace)."""

from __future__ import annotations

import enum
import importlib
from types import ModuleType
from typing import NoReturn

import typer
from pydantic_settings import BaseSettings

from chassis.config_check import configuration_problems
from chassis.service import ServiceSpec
from chassis.settings import ServiceSettings

SERVICES = ("enrolment", "tasks", "guidance", "reporting")


class Service(enum.StrEnum):
    """A service by name: Typer lists the choices in --help and refuses any other."""

    enrolment = "enrolment"
    tasks = "tasks"
    guidance = "guidance"
    reporting = "reporting"


def spec_of(service: str) -> ServiceSpec:
    spec: ServiceSpec = importlib.import_module(f"services.{service}.app").SPEC
    return spec


def settings_classes(service: str) -> list[type[BaseSettings]]:
    return [ServiceSettings, *spec_of(service).settings]


def fail(message: str, code: int = 1) -> NoReturn:
    """Say why on stderr and exit with `code`."""
    typer.echo(f"digipolku: {message}", err=True)
    raise typer.Exit(code)


def refuse_if_misconfigured(service: str) -> None:
    """Exit 1 listing every problem if the service would refuse to start with this
    environment (the verdict `check-config` prints)."""
    problems = configuration_problems(settings_classes(service), service_name=service)
    if problems:
        typer.echo(f"{service}: refused", err=True)
        for problem in problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(1)


def checkout_module(name: str, command: str) -> ModuleType:
    """A module of the development checkout (the simulator, the fault harness, the bench,
    the local stack). The wheel and the container image leave those packages out
    (decision 0036), so there the command says where it runs instead of failing on import."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as missing:
        top = name.split(".")[0]
        if missing.name is None or missing.name.split(".")[0] != top:
            raise  # something the module itself imports is missing: a real error
        fail(
            f"`digipolku {command}` runs from a development checkout (`make install`); "
            f"this installation has no `{top}` package"
        )
