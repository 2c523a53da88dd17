"""Reporting's own settings (environment prefix DIGIPOLKU_).

The self-assessment instruments are data shared by tasks (which asks the questions) and
reporting (which groups the answers by area); both read the same JSON files, so the item → area
mapping has one source. Reporting imports no code of tasks: it is told where the files are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chassis.production import refuse, secret_problem

# The files as they sit in this repository (and in the installed package's data).
DEFAULT_INSTRUMENTS_DIR = Path(__file__).resolve().parent.parent / "tasks" / "instruments"


class ReportingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIGIPOLKU_", extra="ignore")

    # DIGIPOLKU_INSTRUMENTS_DIR: the folder of the instrument JSON files.
    instruments_dir: Path = DEFAULT_INSTRUMENTS_DIR
    # DIGIPOLKU_PUBLIC_REF_KEY: keys the hash that names a path in public events; production
    # sets its own secret (with it, anyone could test a guessed path id).
    public_ref_key: str = "development-only-public-ref-key"
    environment: Literal["development", "production"] = "production"

    @model_validator(mode="after")
    def _safe_in_production(self) -> ReportingSettings:
        if self.environment == "production":
            refuse([secret_problem("DIGIPOLKU_PUBLIC_REF_KEY", self.public_ref_key)])
        return self
