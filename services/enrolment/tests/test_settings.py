"""The vault key: a development default that production refuses, and nothing malformed."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError

from services.enrolment.settings import DEVELOPMENT_ONLY_VAULT_KEY, EnrolmentSettings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIGIPOLKU_VAULT_KEY", raising=False)
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
    settings = EnrolmentSettings()
    assert settings.vault_key_bytes() == key
    assert key.hex() not in repr(settings) and base64.b64encode(key).decode() not in repr(settings)


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"sixteen byte key").decode(), ""])
def test_a_malformed_key_stops_the_start(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("DIGIPOLKU_VAULT_KEY", bad)
    with pytest.raises(ValidationError, match="DIGIPOLKU_VAULT_KEY"):
        EnrolmentSettings()
