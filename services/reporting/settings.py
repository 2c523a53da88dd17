"""Reporting's own settings (environment prefix DIGIPOLKU_).

The self-assessment instruments are data shared by tasks (which asks the questions) and
reporting (which groups the answers by area); both read the same JSON files, so the item → area
mapping has one source. Reporting imports no code of tasks: it is told where the files are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chassis.production import refuse
from chassis.versioned_keys import (
    KeyFormatError,
    VersionedKey,
    parse_versioned_key,
    versioned_key_problem,
)

# The files as they sit in this repository (and in the installed package's data).
DEFAULT_INSTRUMENTS_DIR = Path(__file__).resolve().parent.parent / "tasks" / "instruments"
# Public; production refuses it.
DEVELOPMENT_ONLY_PUBLIC_REF_KEY = "v1:development-only-public-ref-key"
# Public; production refuses it. Keys the record keys of the cell-key method (decision 0031).
DEVELOPMENT_ONLY_CELL_KEY = "v1:development-only-cell-key"
# A public path reference has one character for its key's version.
MAX_PUBLIC_REF_VERSION = 9


class ReportingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIGIPOLKU_", extra="ignore")

    # DIGIPOLKU_INSTRUMENTS_DIR: the folder of the instrument JSON files.
    instruments_dir: Path = DEFAULT_INSTRUMENTS_DIR
    # DIGIPOLKU_PUBLIC_REF_KEY: `v<N>:<secret>`, N from 1 to 9 (the version is the first
    # character of every public path reference). Keys the hash that names a path in public
    # events; production sets its own secret (with it, anyone could test a guessed path id).
    public_ref_key: SecretStr = SecretStr(DEVELOPMENT_ONLY_PUBLIC_REF_KEY)
    # DIGIPOLKU_CELL_KEY: `v<N>:<secret>`. Gives every path its fixed random record key, from
    # which each figure's noise follows (decision 0031); with it, anyone could take the noise
    # off. Changing it changes the noise of every figure at once.
    cell_key: SecretStr = SecretStr(DEVELOPMENT_ONLY_CELL_KEY)
    # DIGIPOLKU_STATISTICS_SECONDS: how often the monthly statistics for other wellbeing areas
    # are worked out again; a month whose figures changed is published (decision 0032).
    statistics_seconds: float = Field(default=300.0, gt=0)
    environment: Literal["development", "production"] = "production"

    @model_validator(mode="after")
    def _safe_in_production(self) -> ReportingSettings:
        if self.environment == "production":
            refuse(
                [
                    versioned_key_problem(
                        "DIGIPOLKU_PUBLIC_REF_KEY", self.public_ref_key.get_secret_value()
                    ),
                    versioned_key_problem("DIGIPOLKU_CELL_KEY", self.cell_key.get_secret_value()),
                ]
            )
        if self.public_ref().version > MAX_PUBLIC_REF_VERSION:  # a malformed key stops the start
            raise KeyFormatError(
                f"DIGIPOLKU_PUBLIC_REF_KEY's version must be 1 to {MAX_PUBLIC_REF_VERSION}"
            )
        return self

    def record_keys(self) -> VersionedKey:
        return parse_versioned_key("DIGIPOLKU_CELL_KEY", self.cell_key.get_secret_value())

    def public_ref(self) -> VersionedKey:
        return parse_versioned_key(
            "DIGIPOLKU_PUBLIC_REF_KEY", self.public_ref_key.get_secret_value()
        )
