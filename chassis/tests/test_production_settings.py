"""Production is the default, and it refuses what only development may use (decision 0020)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from chassis.settings import ServiceSettings
from services.reporting.settings import ReportingSettings

SECRET = "k" * 40
SAFE: dict[str, object] = {
    "oidc_issuer": "https://tunnistus.kanta-hame.example",
    "session_secret": "s" * 40,
    "kafka_security_protocol": "SASL_SSL",
    "kafka_username": "digipolku-tasks",
    "kafka_password": "p" * 40,
    "kafka_ca_file": "/etc/digipolku/kafka-ca.crt",
    "database_url": "postgresql://tasks_app@db.kanta-hame.example/tasks",
    "migration_database_url": "postgresql://tasks_owner@db.kanta-hame.example/tasks",
}


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("DIGIPOLKU_"):
            monkeypatch.delenv(name)


def test_with_nothing_set_a_service_is_production_and_refuses_every_development_default() -> None:
    with pytest.raises(ValidationError) as refused:
        ServiceSettings()
    message = str(refused.value)
    assert "DIGIPOLKU_OIDC_ISSUER" in message and "DIGIPOLKU_SESSION_SECRET" in message


def test_production_with_its_own_settings_starts() -> None:
    settings = ServiceSettings.model_validate(SAFE)
    assert settings.environment == "production" and not settings.development


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"oidc_issuer": "http://tunnistus.kanta-hame.example"}, "https://"),
        ({"oidc_issuer": "https://127.0.0.1:8000"}, "loopback"),
        ({"oidc_issuer": "https://localhost"}, "loopback"),
        ({"oidc_issuer": "https://[::1]:8443"}, "loopback"),
        ({"clock_file": Path("/tmp/clock")}, "DIGIPOLKU_CLOCK_FILE"),
        ({"accept_test_assurance": True}, "DIGIPOLKU_ACCEPT_TEST_ASSURANCE"),
        ({"session_secret": "development-only-session-secret"}, "DIGIPOLKU_SESSION_SECRET"),
        ({"kafka_security_protocol": None}, "PROTOCOL is not set"),
        ({"kafka_security_protocol": "PLAINTEXT"}, "PROTOCOL is PLAINTEXT"),
        ({"kafka_ca_file": None}, "DIGIPOLKU_KAFKA_CA_FILE"),
        ({"kafka_password": None}, "DIGIPOLKU_KAFKA_PASSWORD"),
        ({"kafka_security_protocol": "SSL"}, "DIGIPOLKU_KAFKA_CERT_FILE"),
        ({"migration_database_url": None}, "DIGIPOLKU_MIGRATION_DATABASE_URL is not set"),
        (
            {"migration_database_url": "postgresql://tasks_app:other@db.kanta-hame.example/tasks"},
            "names the same role",
        ),
    ],
)
def test_production_refuses(change: dict[str, object], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        ServiceSettings.model_validate({**SAFE, **change})


def test_secrets_are_never_shown_when_settings_are_printed() -> None:
    shown = repr(ServiceSettings.model_validate(SAFE))
    assert SECRET not in shown and "p" * 40 not in shown and "s" * 40 not in shown


def test_development_must_be_asked_for_and_then_takes_the_local_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DIGIPOLKU_ENVIRONMENT", "development")
    settings = ServiceSettings()
    assert settings.development and settings.oidc_issuer.startswith("http://127.0.0.1")


def test_reporting_refuses_its_public_development_keys_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValidationError, match="DIGIPOLKU_PUBLIC_REF_KEY"):
        ReportingSettings()
    monkeypatch.setenv("DIGIPOLKU_PUBLIC_REF_KEY", f"v1:{SECRET}")
    with pytest.raises(ValidationError, match="DIGIPOLKU_CELL_KEY"):
        ReportingSettings()
    monkeypatch.setenv("DIGIPOLKU_CELL_KEY", f"v1:{SECRET}")
    assert ReportingSettings().public_ref().secret == SECRET.encode()
    assert ReportingSettings().record_keys().secret == SECRET.encode()


def test_the_development_issuer_refuses_to_start_unless_asked_for() -> None:
    from deploy.dev_issuer import create_app

    with pytest.raises(SystemExit, match="development"):
        create_app()
