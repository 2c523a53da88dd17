"""Settings every service reads from its environment (prefix DIGIPOLKU_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chassis.production import issuer_problem, refuse, secret_problem


class ServiceSettings(BaseSettings):
    """Connection and mode settings shared by all four services.

    Production is the default environment (decision 0020): the embedded local stack's
    defaults below are refused there, and development must be asked for
    (DIGIPOLKU_ENVIRONMENT=development, as `make run` and the tests do).
    """

    model_config = SettingsConfigDict(env_prefix="DIGIPOLKU_", extra="ignore")

    service_name: str = "digipolku"
    environment: Literal["development", "production"] = "production"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    kafka_bootstrap: str = "127.0.0.1:9092"
    # The OpenID Connect issuer whose keys sign every token we accept.
    oidc_issuer: str = "http://127.0.0.1:8000"
    oidc_audience: str = "digipolku"
    # Base URLs of the other services, for the few reads that cross a context over HTTP.
    tasks_url: str = "http://127.0.0.1:8002"
    guidance_url: str = "http://127.0.0.1:8003"
    enrolment_url: str = "http://127.0.0.1:8001"
    reporting_url: str = "http://127.0.0.1:8004"
    # How often the tasks service's calendar looks for weeks due to open.
    week_scheduler_seconds: float = 60.0
    # Key of the pseudonymous client_ref (HMAC); production sets its own secret.
    pseudonym_key: str = "development-only-pseudonym-key"
    relay_batch_size: int = 500
    relay_idle_seconds: float = 0.05
    # How long the broker may hold a consumer's fetch when it has nothing new. Kafka answers
    # as soon as a record arrives; Tansu holds the fetch for the whole wait, so a shorter wait
    # is what keeps a command's effect on the read models near 50 ms instead of 250 ms.
    kafka_fetch_max_wait_ms: int = 100
    # Development only: a file whose timestamp is the business "now" (chassis.clock), so the
    # cohort simulator can live through months in minutes. Unset: the system clock.
    clock_file: Path | None = None
    # The largest request body a service reads (decision 0014): a JSON command or a page form
    # is a few KiB even with a 4000-character answer; anything larger is refused with 413.
    max_body_bytes: int = 64 * 1024

    @model_validator(mode="after")
    def _safe_in_production(self) -> ServiceSettings:
        if self.environment == "production":
            refuse(
                [
                    "DIGIPOLKU_CLOCK_FILE is for development; production keeps real time"
                    if self.clock_file is not None
                    else None,
                    issuer_problem("DIGIPOLKU_OIDC_ISSUER", self.oidc_issuer),
                    secret_problem("DIGIPOLKU_PSEUDONYM_KEY", self.pseudonym_key),
                ]
            )
        return self

    @property
    def development(self) -> bool:
        return self.environment == "development"
