"""The vault and pseudonym keys: development defaults that production refuses, nothing
malformed, and the pseudonym key written with its version."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError

from chassis.versioned_keys import VersionedKey
from services.enrolment.settings import DEVELOPMENT_ONLY_VAULT_KEY, EnrolmentSettings

PSEUDONYM_SECRET = "p" * 40


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIGIPOLKU_VAULT_KEY", raising=False)
    monkeypatch.delenv("DIGIPOLKU_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("DIGIPOLKU_ENVIRONMENT", raising=False)


def test_production_is_the_default_and_refuses_the_development_key() -> None:
    with pytest.raises(ValidationError, match="DIGIPOLKU_VAULT_KEY"):
        EnrolmentSettings()


def test_development_runs_with_the_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGIPOLKU_ENVIRONMENT", "development")
    settings = EnrolmentSettings()
    assert settings.vault_key.get_secret_value() == DEVELOPMENT_ONLY_VAULT_KEY
    assert len(settings.vault_key_bytes()) == 32


def test_production_refuses_the_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGIPOLKU_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="DIGIPOLKU_VAULT_KEY"):
        EnrolmentSettings()


def test_production_takes_its_own_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = os.urandom(32)
    monkeypatch.setenv("DIGIPOLKU_ENVIRONMENT", "production")
    monkeypatch.setenv("DIGIPOLKU_VAULT_KEY", base64.b64encode(key).decode())
    monkeypatch.setenv("DIGIPOLKU_PSEUDONYM_KEY", f"v3:{PSEUDONYM_SECRET}")
    settings = EnrolmentSettings()
    assert settings.pseudonym() == VersionedKey(3, PSEUDONYM_SECRET.encode())
    assert PSEUDONYM_SECRET not in repr(settings)
    assert settings.vault_key_bytes() == key
    assert key.hex() not in repr(settings) and base64.b64encode(key).decode() not in repr(settings)


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"sixteen byte key").decode(), ""])
def test_a_malformed_key_stops_the_start(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("DIGIPOLKU_VAULT_KEY", bad)
    with pytest.raises(ValidationError, match="DIGIPOLKU_VAULT_KEY"):
        EnrolmentSettings()


def test_production_refuses_both_development_keys_naming_each() -> None:
    with pytest.raises(ValidationError) as refused:
        EnrolmentSettings()
    assert "DIGIPOLKU_VAULT_KEY" in str(refused.value)
    assert "DIGIPOLKU_PSEUDONYM_KEY" in str(refused.value)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (PSEUDONYM_SECRET, "v<version>:<secret>"),  # no version
        ("v1:development-only-pseudonym-key-but-long-enough", "public"),
        ("v1:short-secret", "shorter than 32"),
    ],
)
def test_production_refuses_a_pseudonym_key_it_cannot_trust(
    monkeypatch: pytest.MonkeyPatch, value: str, named: str
) -> None:
    monkeypatch.setenv("DIGIPOLKU_VAULT_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setenv("DIGIPOLKU_PSEUDONYM_KEY", value)
    with pytest.raises(ValidationError, match=named):
        EnrolmentSettings()


def test_development_too_refuses_a_pseudonym_key_without_its_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DIGIPOLKU_ENVIRONMENT", "development")
    monkeypatch.setenv("DIGIPOLKU_PSEUDONYM_KEY", PSEUDONYM_SECRET)
    with pytest.raises(ValidationError, match="DIGIPOLKU_PSEUDONYM_KEY"):
        EnrolmentSettings()


def test_only_enrolment_reads_the_pseudonym_key() -> None:
    from chassis.settings import ServiceSettings
    from services.reporting.settings import ReportingSettings

    assert "pseudonym_key" in EnrolmentSettings.model_fields
    assert "pseudonym_key" not in ServiceSettings.model_fields
    assert "pseudonym_key" not in ReportingSettings.model_fields
