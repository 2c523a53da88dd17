"""The commands of a development checkout: the whole system locally, the simulator, the fault
harness, the bench and the event contracts. They drive local PostgreSQL and Tansu processes,
so the container image leaves their packages out and says so (decision 0036).

The simulator, the bench and the local system read their options from sys.argv with argparse;
the options are declared again here, so that `digipolku COMMAND --help` shows them, and handed
over as the command line those modules parse.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from services.cli.common import checkout_module

DEFAULT_SEED = 2026


@contextlib.contextmanager
def _argv(program: str, arguments: list[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = [program, *arguments]
    try:
        yield
    finally:
        sys.argv = saved


def _options(**values: Any) -> list[str]:
    """`--name value` for each value given; `--name` alone for a true flag."""
    line: list[str] = []
    for key, value in values.items():
        option = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        line += [option] if value is True else [option, str(value)]
    return line


def _exit_with(code: int | None) -> NoReturn:
    raise typer.Exit(code or 0)


def _run_argparse_main(module: str, command: str, arguments: list[str]) -> None:
    main: Callable[[], int | None] = checkout_module(module, command).main
    with _argv(f"digipolku {command}", arguments):
        _exit_with(main())


def run(
    clients_per_group: Annotated[
        int,
        typer.Option(help="Simulated clients per municipality and cohort (0: no simulation)."),
    ] = 6,
    seed: Annotated[int, typer.Option(help="Seed of the demo population.")] = DEFAULT_SEED,
) -> None:
    """Run the whole system locally with demo data (`make run`).

    PostgreSQL, the Kafka broker, the development issuer and the four services on the usual
    ports, until Ctrl-C."""
    _run_argparse_main(
        "deploy.run", "run", _options(clients_per_group=clients_per_group, seed=seed)
    )


def simulate(
    seed: Annotated[int, typer.Option(help="Seed of the population.")] = DEFAULT_SEED,
    clients_per_group: Annotated[
        int, typer.Option(help="Clients per municipality and cohort.")
    ] = 8,
    end: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Last simulated day, YYYY-MM-DD (default: yesterday).",
            show_default=False,
        ),
    ] = None,
    national: Annotated[
        bool,
        typer.Option(
            "--national",
            help="A year for all 22 wellbeing-area organisers instead, decided in this process"
            " and written into each service's event store.",
        ),
    ] = False,
    paths: Annotated[int, typer.Option(help="With --national: paths in the year.")] = 50_000,
    areas: Annotated[
        str | None,
        typer.Option(
            help="With --national: comma-separated tenant slugs (default: all 22).",
            show_default=False,
        ),
    ] = None,
    postgres: Annotated[
        str | None,
        typer.Option(
            help="With --national: admin DSN of a PostgreSQL server to write to (default: a"
            " throwaway local one).",
            show_default=False,
        ),
    ] = None,
    bootstrap: Annotated[
        str | None,
        typer.Option(help="With --postgres: its Kafka broker.", show_default=False),
    ] = None,
) -> None:
    """Simulate a seeded population through the real services (`make simulate`).

    Lives through the cohorts' months in compressed time, then prints the managers' figures
    and their digest (the same seed and end give the same digest)."""
    if postgres and not bootstrap:
        raise typer.BadParameter("--postgres needs --bootstrap", param_hint="--bootstrap")
    arguments = _options(
        seed=seed,
        clients_per_group=clients_per_group,
        end=end.date().isoformat() if end else None,
        national=national,
    )
    if national:
        arguments += _options(paths=paths, areas=areas, postgres=postgres, bootstrap=bootstrap)
    _run_argparse_main("simulator.__main__", "simulate", arguments)


def faults(
    seed: Annotated[int, typer.Option(help="Seed of the traffic and the fault schedule.")] = (
        DEFAULT_SEED
    ),
    duration: Annotated[float, typer.Option(help="Seconds of traffic, at least.")] = 1800.0,
    kills: Annotated[int, typer.Option(help="SIGKILLs of each service.")] = 20,
    others: Annotated[int, typer.Option(help="Faults of every other kind.")] = 5,
    kinds: Annotated[
        str | None,
        typer.Option(
            help="The fault kinds to inject, comma-separated (default: every kind).",
            show_default=False,
        ),
    ] = None,
    max_faults: Annotated[
        int | None, typer.Option(help="Only the first N faults.", show_default=False)
    ] = None,
    clients_per_group: Annotated[
        int, typer.Option(help="Simulated clients per municipality and cohort.")
    ] = 4,
    min_events: Annotated[int, typer.Option(help="Events the run must reach, at least.")] = 10_000,
    artifacts: Annotated[Path, typer.Option(help="Where the report and the logs go.")] = Path(
        "test-artifacts/faults"
    ),
) -> None:
    """Run the system under seeded faults, then check it (`make faults`).

    Decision 0029. Exits 1 on any loss, duplicate, reordering, phantom or rebuild
    difference."""
    module = checkout_module("faults.__main__", "faults")
    arguments = _options(
        seed=seed,
        duration=duration,
        kills=kills,
        others=others,
        kinds=kinds,
        max_faults=max_faults,
        clients_per_group=clients_per_group,
        min_events=min_events,
        artifacts=artifacts,
    )
    _exit_with(module.main(arguments))


def bench(
    aggregates: Annotated[int, typer.Option(help="Aggregates per run (10 events each).")] = 2000,
    rounds: Annotated[int, typer.Option(help="Rounds per contender.")] = 3,
    events: Annotated[int, typer.Option(help="Catch-up events, at least.")] = 1_000_000,
    clients_per_group: Annotated[
        int, typer.Option(help="Simulated clients recorded for the catch-up.")
    ] = 3,
    samples: Annotated[int, typer.Option(help="Command-to-dashboard samples.")] = 100,
    load_clients: Annotated[int, typer.Option(help="Signed-in clients of the page load.")] = 120,
    load_seconds: Annotated[int, typer.Option(help="Seconds of page load.")] = 45,
    page_samples: Annotated[int, typer.Option(help="Sequential samples per staff page.")] = 200,
    national_paths: Annotated[
        int,
        typer.Option(help="Paths of the national year replayed (50,000: the full year)."),
    ] = 5_000,
) -> None:
    """Run the benchmarks against baselines of the same run (`make bench`).

    Prints ratios and a table of figures and targets (also
    test-artifacts/bench/results.json)."""
    arguments = _options(
        aggregates=aggregates,
        rounds=rounds,
        events=events,
        clients_per_group=clients_per_group,
        samples=samples,
        load_clients=load_clients,
        load_seconds=load_seconds,
        page_samples=page_samples,
        national_paths=national_paths,
    )
    _run_argparse_main("bench.__main__", "bench", arguments)


contracts = typer.Typer(
    help="The event contracts: the committed JSON Schemas and their compatibility.",
    no_args_is_help=True,
)


@contracts.command("export")
def contracts_export(
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; exit 1 if the committed schemas differ from the models.",
        ),
    ] = False,
) -> None:
    """Write (or check) contracts/schemas/ from the event models.

    Refuses to write a breaking change."""
    module = checkout_module("contracts.export", "contracts export")
    _exit_with(module.main(["--check"] if check else []))


@contracts.command("compat")
def contracts_compat() -> None:
    """Check the event models against every committed schema version.

    Exits 1 on a breaking change."""
    _exit_with(checkout_module("contracts.compat", "contracts compat").main())
