"""`digipolku`: the one command-line tool for operating and developing Digipolku.

Each group of commands lives in its own module; this one puts them together under their names.
It imports the services (it is the one place that knows all of them), but starts nothing unless
a command says so. `digipolku --help` lists them; `python -m services.cli` is the same tool.
"""

from __future__ import annotations

import typer

from services.cli import develop, migrate, operate, relay, serve

app = typer.Typer(
    help="Digipolku's command-line tool. Settings come from DIGIPOLKU_* environment variables.",
    no_args_is_help=True,
    add_completion=False,
    # An unexpected error prints its traceback without local variables: those may hold a
    # database URL with its password, or a key.
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _commands() -> None:
    """Digipolku's command-line tool (a group, so that each command keeps its name)."""


# Running it in production (the container image's entry point).
RUNNING = "Running the services"
app.command("serve", rich_help_panel=RUNNING)(serve.serve)
app.command("migrate", rich_help_panel=RUNNING)(migrate.migrate)
app.command("relay", rich_help_panel=RUNNING)(relay.relay)
app.command("rebuild", rich_help_panel=RUNNING)(operate.rebuild)
app.command("check-config", rich_help_panel=RUNNING)(operate.check_config)
app.command("verify-access-log", rich_help_panel=RUNNING)(operate.verify_access_log)
# Developing it: a checkout with `make install` (not in the container image).
DEVELOPING = "Developing (a checkout with make install)"
app.command("run", rich_help_panel=DEVELOPING)(develop.run)
app.command("simulate", rich_help_panel=DEVELOPING)(develop.simulate)
app.command("faults", rich_help_panel=DEVELOPING)(develop.faults)
app.command("bench", rich_help_panel=DEVELOPING)(develop.bench)
app.add_typer(develop.contracts, name="contracts", rich_help_panel=DEVELOPING)


def main() -> None:
    app()
