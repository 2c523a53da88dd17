"""How every Kafka client of ours authenticates: one value made from settings, two renderings.

`KafkaSecurity` holds the protocol, the principal's credentials and the TLS files;
`client_options()` gives the keyword arguments aiokafka's producer, consumer and admin client
take, and `broker_security()` the FastStream security object its KafkaRouter / KafkaBroker
take. Every client in the services, the relay and the rebuild is made through it
(decision 0021), so a service talks to the brokers as its own principal over TLS, or, in
development only, in plaintext to the local broker (which cannot do SASL).

The password stays a `SecretStr` here; it is revealed only into the client options, at the
moment a client is made.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLScram512
from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chassis.production import kafka_problems, refuse
from chassis.settings import KafkaSecurityProtocol


class KafkaSecuritySettings(Protocol):
    """The settings a client's security is made from (ServiceSettings has them all)."""

    @property
    def kafka_security_protocol(self) -> KafkaSecurityProtocol | None: ...
    @property
    def kafka_sasl_mechanism(self) -> Literal["SCRAM-SHA-512"]: ...
    @property
    def kafka_username(self) -> str | None: ...
    @property
    def kafka_password(self) -> SecretStr | None: ...
    @property
    def kafka_ca_file(self) -> Path | None: ...
    @property
    def kafka_cert_file(self) -> Path | None: ...
    @property
    def kafka_key_file(self) -> Path | None: ...


@dataclass(frozen=True)
class KafkaSecurity:
    """A principal's way onto the brokers: PLAINTEXT (development), SSL (mutual TLS with a
    client certificate) or SASL_SSL (SCRAM-SHA-512 over TLS). The CA verifies the brokers."""

    protocol: KafkaSecurityProtocol = "PLAINTEXT"
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    sasl_mechanism: Literal["SCRAM-SHA-512"] = "SCRAM-SHA-512"

    def __post_init__(self) -> None:
        # The same completeness rules as production's refusal, in every environment: a
        # half-configured TLS client would fail later, at the first connection, less clearly.
        if self.protocol != "PLAINTEXT":
            refuse(
                kafka_problems(
                    self.protocol,
                    username=self.username,
                    password=self.password,
                    ca_file=self.ca_file,
                    cert_file=self.cert_file,
                    key_file=self.key_file,
                )
            )

    @property
    def is_plaintext(self) -> bool:
        return self.protocol == "PLAINTEXT"

    def ssl_context(self) -> ssl.SSLContext | None:
        """A context that verifies the brokers against our CA (and the host name), and
        presents the client certificate for mutual TLS; None in plaintext."""
        if self.is_plaintext:
            return None
        context: ssl.SSLContext = create_ssl_context(
            cafile=self.ca_file, certfile=self.cert_file, keyfile=self.key_file
        )
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.is_plaintext:
            return options
        options["ssl_context"] = self.ssl_context()
        if self.protocol == "SASL_SSL":
            assert self.username is not None and self.password is not None  # __post_init__
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.username
            options["sasl_plain_password"] = self.password.get_secret_value()
        return options

    def broker_security(self) -> BaseSecurity | None:
        """FastStream's own security object for a KafkaRouter or KafkaBroker."""
        if self.is_plaintext:
            return None
        context = self.ssl_context()
        if self.protocol == "SASL_SSL":
            assert self.username is not None and self.password is not None  # __post_init__
            return SASLScram512(
                self.username, self.password.get_secret_value(), ssl_context=context
            )
        return BaseSecurity(ssl_context=context)


PLAINTEXT = KafkaSecurity()


def kafka_security(settings: KafkaSecuritySettings) -> KafkaSecurity:
    """The security of a client made from these settings (PLAINTEXT when none is set, which
    production's settings refuse before anything connects)."""
    return KafkaSecurity(
        protocol=settings.kafka_security_protocol or "PLAINTEXT",
        username=settings.kafka_username,
        password=settings.kafka_password,
        ca_file=settings.kafka_ca_file,
        cert_file=settings.kafka_cert_file,
        key_file=settings.kafka_key_file,
        sasl_mechanism=settings.kafka_sasl_mechanism,
    )


class KafkaClientSettings(BaseSettings):
    """Only the Kafka connection, from the same DIGIPOLKU_ variables the services read: for
    a tool that runs a client outside a service (the relay on its own)."""

    model_config = SettingsConfigDict(env_prefix="DIGIPOLKU_", extra="ignore")

    environment: Literal["development", "production"] = "production"
    kafka_security_protocol: KafkaSecurityProtocol | None = None
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_ca_file: Path | None = None
    kafka_cert_file: Path | None = None
    kafka_key_file: Path | None = None

    @model_validator(mode="after")
    def _safe_in_production(self) -> KafkaClientSettings:
        if self.environment == "production":
            refuse(
                kafka_problems(
                    self.kafka_security_protocol,
                    username=self.kafka_username,
                    password=self.kafka_password,
                    ca_file=self.kafka_ca_file,
                    cert_file=self.kafka_cert_file,
                    key_file=self.kafka_key_file,
                )
            )
        return self
