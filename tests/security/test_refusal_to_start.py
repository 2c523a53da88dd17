"""Fail closed: production is the default, and a service missing a setting does not start.

The service runs as operators run it (uvicorn with the factory) with nothing but its database
and broker addresses set; it must exit and name every problem at once, before it connects to
anything. `digipolku check-config` gives the same verdict without starting anything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# What an operator who set only the addresses would have.
ADDRESSES_ONLY = {
    "DIGIPOLKU_DATABASE_URL": "postgresql://digipolku@db.invalid/enrolment",
    "DIGIPOLKU_KAFKA_BOOTSTRAP": "kafka.invalid:9093",
}
PRODUCTION_READY = {
    **ADDRESSES_ONLY,
    "DIGIPOLKU_OIDC_ISSUER": "https://tunnistus.kanta-hame.example",
    "DIGIPOLKU_SESSION_SECRET": "s" * 48,
    "DIGIPOLKU_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "DIGIPOLKU_KAFKA_USERNAME": "digipolku-reporting",
    "DIGIPOLKU_KAFKA_PASSWORD": "k" * 48,
    "DIGIPOLKU_KAFKA_CA_FILE": "/etc/digipolku/kafka-ca.crt",
    "DIGIPOLKU_PUBLIC_REF_KEY": "v1:" + "r" * 48,
    "DIGIPOLKU_CELL_KEY": "v1:" + "c" * 48,
    "DIGIPOLKU_MIGRATION_DATABASE_URL": "postgresql://digipolku_owner@db.invalid/enrolment",
}


def _environment(extra: dict[str, str]) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith("DIGIPOLKU_")}
    return {**kept, "PYTHONPATH": str(REPO_ROOT), **extra}


def _run(args: list[str], extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=_environment(extra),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("service", ["enrolment", "tasks", "guidance", "reporting"])
def test_a_service_left_at_its_defaults_refuses_to_start_naming_every_problem(
    service: str,
) -> None:
    started = _run(
        ["-m", "uvicorn", "--factory", "--port", "0", f"services.{service}.app:app"],
        ADDRESSES_ONLY,
    )
    assert started.returncode != 0
    said = started.stdout + started.stderr
    for setting in (
        "DIGIPOLKU_OIDC_ISSUER",
        "DIGIPOLKU_SESSION_SECRET",
        "DIGIPOLKU_KAFKA_SECURITY_PROTOCOL",
    ):
        assert setting in said, said[-2000:]
    assert "refusing to start" in said
    # It stopped before serving: uvicorn never reported that it was listening.
    assert "Uvicorn running" not in said


def test_check_config_gives_the_same_verdict_without_starting_anything() -> None:
    refused = _run(["-m", "services.cli", "check-config"], ADDRESSES_ONLY)
    assert refused.returncode == 1
    assert refused.stdout.count(": refused") == 4
    assert "DIGIPOLKU_VAULT_KEY" in refused.stdout  # enrolment's own setting
    assert "DIGIPOLKU_PUBLIC_REF_KEY" in refused.stdout  # reporting's own settings
    assert "DIGIPOLKU_CELL_KEY" in refused.stdout

    reporting = _run(["-m", "services.cli", "check-config", "reporting"], PRODUCTION_READY)
    assert reporting.returncode == 0, reporting.stdout
    assert reporting.stdout.strip() == "reporting: ok"


def test_check_config_never_prints_a_secret() -> None:
    leaky = {**PRODUCTION_READY, "DIGIPOLKU_SESSION_SECRET": "short-but-secret"}
    said = _run(["-m", "services.cli", "check-config", "reporting"], leaky)
    assert said.returncode == 1
    assert "DIGIPOLKU_SESSION_SECRET is shorter than 32" in said.stdout
    assert "short-but-secret" not in said.stdout + said.stderr


def test_development_must_be_said_out_loud() -> None:
    development = _run(
        ["-m", "services.cli", "check-config", "tasks"],
        {**ADDRESSES_ONLY, "DIGIPOLKU_ENVIRONMENT": "development"},
    )
    assert development.returncode == 0 and "tasks: ok" in development.stdout
