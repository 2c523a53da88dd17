"""`digipolku`: every command's English --help, the answers to bad arguments (a message and a
non-zero exit, never a traceback), `serve` answering /readyz, `migrate` twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

import asyncpg
import httpx
import pytest
from typer.testing import CliRunner

from deploy.local_stack import free_port
from deploy.test_infrastructure import TestInfrastructure
from services.cli import app
from tests.cli.running import REPO_ROOT, environment, run, stop, wait_ready
from tests.support.split_roles import database_with_split_roles

CLI = [sys.executable, "-m", "services.cli"]
# Each command and options its --help must show (the ones an operator reaches for).
HELP = {
    "serve": ["--host", "--port", "--forwarded-allow-ips", "enrolment", "reporting"],
    "migrate": ["DIGIPOLKU_MIGRATION_DATABASE_URL", "Idempotent"],
    "relay": ["--topic", "--name", "--database-url", "--bootstrap", "--batch-size"],
    "rebuild": ["projection", "decision 0033"],
    "check-config": ["services", "Exits 1"],
    "verify-access-log": ["--database-url"],
    "run": ["--clients-per-group", "--seed"],
    "simulate": ["--seed", "--clients-per-group", "--end", "--national", "--paths", "--areas"],
    "faults": ["--seed", "--duration", "--kills", "--others", "--kinds", "--artifacts"],
    "bench": ["--aggregates", "--rounds", "--events", "--national-paths"],
    "contracts export": ["--check"],
    "contracts compat": ["committed schema"],
}


def _invoke(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(arguments), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_the_tool_lists_every_command_in_english() -> None:
    listed = run([*CLI, "--help"], {"COLUMNS": "200"})
    assert listed.returncode == 0, listed.stderr
    for command in {name.split()[0] for name in HELP}:
        assert f" {command} " in listed.stdout, command
    assert "Settings come from DIGIPOLKU_* environment variables" in listed.stdout


@pytest.mark.parametrize("command", sorted(HELP))
def test_each_command_explains_itself(command: str) -> None:
    code, output = _invoke(*command.split(), "--help")
    assert code == 0, output
    assert "Usage:" in output
    for shown in HELP[command]:
        assert shown in output, f"{command} --help lacks {shown}"


@pytest.mark.parametrize(
    ("arguments", "code", "said"),
    [
        (["serve", "nosuch"], 2, "'nosuch' is not one of"),
        (["serve", "tasks", "--port", "0"], 2, "--port"),
        (["migrate"], 2, "Missing argument"),
        (["relay", "--topic", "t"], 2, "Missing option"),
        (["rebuild", "nosuch"], 2, "unknown projection nosuch"),
        (["check-config", "nosuch"], 2, "unknown service nosuch"),
        (["simulate", "--national", "--postgres", "postgresql://x"], 2, "--postgres needs"),
        (["simulate", "--end", "yesterday"], 2, "--end"),
        (["nosuch"], 2, "No such command"),
    ],
)
def test_bad_arguments_get_a_message_and_a_usage_error(
    arguments: list[str], code: int, said: str
) -> None:
    exit_code, output = _invoke(*arguments)
    assert exit_code == code, output
    assert said in output
    assert "Traceback" not in output


def test_a_service_that_would_refuse_is_not_served() -> None:
    """Production by default: `serve` lists every problem and exits 1 before listening."""
    refused = run(
        [*CLI, "serve", "enrolment", "--port", str(free_port())],
        {"DIGIPOLKU_DATABASE_URL": "postgresql://enrolment_app@db.invalid/enrolment"},
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "enrolment: refused" in refused.stderr
    assert "DIGIPOLKU_SESSION_SECRET" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_relay_refuses_a_plaintext_broker_in_production() -> None:
    refused = CliRunner().invoke(
        app,
        ["relay", "--topic", "t", "--name", "n", "--database-url", "postgresql://x@db/d"],
        env={"DIGIPOLKU_ENVIRONMENT": "production", "DIGIPOLKU_KAFKA_BOOTSTRAP": "kafka:9093"},
    )
    assert refused.exit_code == 1, refused.output
    assert "refusing to relay" in refused.output
    assert "DIGIPOLKU_KAFKA_SECURITY_PROTOCOL" in refused.output


def test_migrate_without_a_database_says_which_setting_is_missing() -> None:
    missing = run([*CLI, "migrate", "tasks"], {})
    assert missing.returncode == 1
    assert "DIGIPOLKU_DATABASE_URL" in missing.stderr
    unreachable = run(
        [*CLI, "migrate", "tasks"],
        {
            "DIGIPOLKU_ENVIRONMENT": "development",
            "DIGIPOLKU_DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/tasks",
        },
    )
    assert unreachable.returncode == 1
    assert "tasks: not migrated" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr


def test_development_commands_name_the_checkout_when_their_package_is_missing() -> None:
    """As in the container image, which has no simulator (decision 0036); the wheel test
    sees the same from an installed wheel."""
    hidden = run(
        [
            sys.executable,
            "-c",
            # A None entry makes the import fail as a missing package does.
            "import sys; sys.modules['simulator'] = None;"
            " from services.cli import main; sys.argv = ['digipolku', 'simulate']; main()",
        ],
        {},
    )
    assert hidden.returncode == 1, hidden.stderr
    assert "runs from a development checkout" in hidden.stderr
    assert "no `simulator` package" in hidden.stderr
    assert "Traceback" not in hidden.stderr


async def test_migrate_twice_as_production_does_it_once(
    infrastructure: TestInfrastructure,
) -> None:
    roles = await database_with_split_roles(infrastructure, "cli")
    app_dsn, owner_dsn = roles.app_dsn, roles.owner_dsn
    settings = {
        "DIGIPOLKU_ENVIRONMENT": "production",
        "DIGIPOLKU_DATABASE_URL": app_dsn,
        "DIGIPOLKU_MIGRATION_DATABASE_URL": owner_dsn,
    }
    first = await asyncio.to_thread(run, [*CLI, "migrate", "guidance"], settings)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.startswith("guidance: migrated to chassis_")
    second = await asyncio.to_thread(run, [*CLI, "migrate", "guidance"], settings)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout == first.stdout
    connection = await asyncpg.connect(app_dsn)
    try:
        rights = await connection.fetchrow(
            "SELECT has_any_column_privilege('access_log', 'INSERT') AS log_insert,"
            " has_table_privilege('access_log', 'UPDATE') AS log_update,"
            " has_table_privilege('events', 'INSERT') AS events_insert,"
            " (SELECT tableowner FROM pg_tables WHERE tablename = 'events') AS owner"
        )
    finally:
        await connection.close()
    assert rights is not None
    # The log: added to column by column (the database fills the rest), never rewritten.
    assert rights["log_insert"] and rights["events_insert"]
    assert not rights["log_update"]
    assert rights["owner"].startswith("cli_owner_")


async def test_serve_answers_readyz_and_stops_on_sigterm(
    infrastructure: TestInfrastructure,
) -> None:
    settings = {
        "DIGIPOLKU_ENVIRONMENT": "development",
        "DIGIPOLKU_DATABASE_URL": await infrastructure.create_database("cli_serve"),
        "DIGIPOLKU_KAFKA_BOOTSTRAP": infrastructure.kafka_bootstrap,
    }
    status = await asyncio.to_thread(_serve_until_ready_then_stop, "enrolment", settings)
    # uvicorn finishes its shutdown, then exits by the signal it was sent.
    assert status in (0, -signal.SIGTERM)


def _serve_until_ready_then_stop(service: str, settings: dict[str, str]) -> int:
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", service, "--host", "127.0.0.1", "--port", str(port)],
        env=environment(settings),
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", process)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    finally:
        status = stop(process)
    return status
