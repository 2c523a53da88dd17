"""Settings every service reads from its environment (prefix DIGIPOLKU_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chassis.production import (
    database_roles_problem,
    issuer_problem,
    kafka_problems,
    refuse,
    secret_problem,
)

KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_SSL"]


class ServiceSettings(BaseSettings):
    """Connection and mode settings shared by all four services.

    Production is the default environment (decision 0020): the embedded local stack's
    defaults below are refused there, and development must be asked for
    (DIGIPOLKU_ENVIRONMENT=development, as `make run` and the tests do). Secrets are
    `SecretStr`, so a settings object printed or logged shows `**********`.
    """

    model_config = SettingsConfigDict(env_prefix="DIGIPOLKU_", extra="ignore")

    service_name: str = "digipolku"
    environment: Literal["development", "production"] = "production"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    # The role that runs the migrations and owns every table, the access log included; the
    # service then grants `database_url`'s role only what it needs (decision 0024). Unset: the
    # service's own role migrates and owns the log, which only development allows.
    migration_database_url: SecretStr | None = None
    # A role that cannot log in and alone holds the access log's rights (read, and add the
    # columns a writer names); the application role writes the log as its member. The
    # platform declares the three roles apart (deploy/kubernetes_databases.py), so who may
    # write the log is one grant to read and to revoke. Unset: the application role holds
    # those rights itself (decision 0024).
    access_log_writer_role: str | None = None
    kafka_bootstrap: str = "127.0.0.1:9092"

    # Kafka client security (issue 12): production refuses PLAINTEXT. SASL_SSL authenticates
    # with SCRAM-SHA-512 as this service's own principal; SSL authenticates with a client
    # certificate (mutual TLS). The CA verifies the brokers in both. Unset: PLAINTEXT in
    # development (the local broker cannot do SASL), refused in production.
    kafka_security_protocol: KafkaSecurityProtocol | None = None
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_ca_file: Path | None = None
    kafka_cert_file: Path | None = None
    kafka_key_file: Path | None = None

    # The OpenID Connect issuer whose keys sign every token we accept.
    oidc_issuer: str = "http://127.0.0.1:8000"
    # The audience this service accepts in access tokens (see `audience`).
    oidc_audience: str | None = None  # see `audience`
    # Development only: accept Suomi.fi's test levels of assurance as strong.
    accept_test_assurance: bool = False
    # Staff must have signed in with more than a password: any of these `amr` values.
    staff_mfa_amr: tuple[str, ...] = ("mfa", "otp", "hwk", "swk", "sms")

    # Server-side sessions of the pages (issue 12): the secret keys the CSRF tokens; the
    # lifetimes suit a shared computer (decision in docs/decisions).
    session_secret: SecretStr = SecretStr("development-only-session-secret")
    session_idle_minutes: int = 15
    session_absolute_minutes: int = 240

    # Rate limits in the notation of the `limits` library, per principal and per address.
    rate_limit_sign_in: str = "10/minute"
    rate_limit_writes: str = "120/minute"

    # Base URLs of the other services, for the few reads that cross a context over HTTP.
    tasks_url: str = "http://127.0.0.1:8002"
    guidance_url: str = "http://127.0.0.1:8003"
    enrolment_url: str = "http://127.0.0.1:8001"
    reporting_url: str = "http://127.0.0.1:8004"
    # How often the tasks service's calendar looks for weeks due to open.
    week_scheduler_seconds: float = 60.0
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
            refuse(self.production_problems())
        return self

    def production_problems(self) -> list[str | None]:
        """Everything production refuses in these settings (None entries are fine ones)."""
        return [
            "DIGIPOLKU_CLOCK_FILE is for development; production keeps real time"
            if self.clock_file is not None
            else None,
            "DIGIPOLKU_ACCEPT_TEST_ASSURANCE is for development; production accepts only"
            " strong identification"
            if self.accept_test_assurance
            else None,
            issuer_problem("DIGIPOLKU_OIDC_ISSUER", self.oidc_issuer),
            database_roles_problem(
                self.database_url,
                None
                if self.migration_database_url is None
                else self.migration_database_url.get_secret_value(),
            ),
            secret_problem("DIGIPOLKU_SESSION_SECRET", self.session_secret.get_secret_value()),
            *kafka_problems(
                self.kafka_security_protocol,
                username=self.kafka_username,
                password=self.kafka_password,
                ca_file=self.kafka_ca_file,
                cert_file=self.kafka_cert_file,
                key_file=self.kafka_key_file,
            ),
        ]

    @property
    def kafka_protocol(self) -> KafkaSecurityProtocol:
        return self.kafka_security_protocol or "PLAINTEXT"

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def accepts_test_assurance(self) -> bool:
        """Suomi.fi's test levels count as strong only in development."""
        return self.development or self.accept_test_assurance

    @property
    def audience(self) -> str:
        """The audience this service's access tokens must name (decision 0022)."""
        return self.oidc_audience or audience_of(self.service_name)


def audience_of(service_name: str) -> str:
    """A service's audience in access tokens; pages ask the issuer for their peers' too."""
    return f"digipolku-{service_name}"
