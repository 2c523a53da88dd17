"""What a production service refuses to start with (decision 0020).

Production is the default; development must be asked for (DIGIPOLKU_ENVIRONMENT=development).
An operator who forgets a setting gets a service that does not start and says which setting,
never one that runs with a public key or trusts a development issuer.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote, urlsplit

# Every development default secret in this repository starts so: it is public, so it protects
# nothing.
DEVELOPMENT_SECRET_PREFIX = "development-only"
# HMAC keys shorter than this are guessable offline (there are only about 4×10⁷ identity codes).
MIN_SECRET_LENGTH = 32


def secret_problem(name: str, value: str) -> str | None:
    """Why `value` may not be the production secret named `name`, or None if it may."""
    if value.startswith(DEVELOPMENT_SECRET_PREFIX):
        return f"{name} is the public development default; set a secret of your own"
    if len(value) < MIN_SECRET_LENGTH:
        return f"{name} is shorter than {MIN_SECRET_LENGTH} characters"
    return None


def issuer_problem(name: str, url: str) -> str | None:
    """Why the OpenID Connect issuer `url` may not be trusted in production, or None."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return f"{name} must be an https:// issuer, not {url!r}"
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return f"{name} must not be a loopback issuer ({url!r})"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return f"{name} must not be a loopback issuer ({url!r})"
    except ValueError:
        pass  # a host name
    return None


class ProductionRefusal(ValueError):
    """Settings production may not run with; `problems` names each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("refused in production: " + "; ".join(problems))
        self.problems = problems


def refuse(problems: list[str | None]) -> None:
    """Stop the start with every problem at once, so one restart fixes them all."""
    found = [problem for problem in problems if problem]
    if found:
        raise ProductionRefusal(found)


def kafka_problems(
    protocol: str | None,
    *,
    username: str | None,
    password: object | None,
    ca_file: object | None,
    cert_file: object | None,
    key_file: object | None,
) -> list[str | None]:
    """Why these Kafka client settings may not be used in production (empty if they may)."""
    if protocol in (None, "PLAINTEXT"):
        return [
            f"DIGIPOLKU_KAFKA_SECURITY_PROTOCOL is {protocol or 'not set'}; production needs"
            " SASL_SSL or SSL"
        ]
    problems: list[str | None] = []
    if ca_file is None:
        problems.append("DIGIPOLKU_KAFKA_CA_FILE is needed to verify the brokers")
    if protocol == "SASL_SSL" and (not username or password is None):
        problems.append(
            "DIGIPOLKU_KAFKA_USERNAME and DIGIPOLKU_KAFKA_PASSWORD are needed for SASL_SSL"
        )
    if protocol == "SSL" and (cert_file is None or key_file is None):
        problems.append(
            "DIGIPOLKU_KAFKA_CERT_FILE and DIGIPOLKU_KAFKA_KEY_FILE are needed for mutual TLS"
        )
    return problems


def database_roles_problem(database_url: str, migration_url: str | None) -> str | None:
    """Why the service's database role could rewrite its access log, as far as the URLs tell
    (the service asks PostgreSQL itself at start, decision 0024)."""
    if migration_url is None:
        return (
            "DIGIPOLKU_MIGRATION_DATABASE_URL is not set; production migrates as a separate"
            " role that owns the tables, so the service's own role cannot rewrite the access log"
        )
    app_user = unquote(urlsplit(database_url).username or "")
    migration_user = unquote(urlsplit(migration_url).username or "")
    if migration_url == database_url or (app_user and app_user == migration_user):
        return (
            "DIGIPOLKU_MIGRATION_DATABASE_URL names the same role as DIGIPOLKU_DATABASE_URL;"
            " the service's own role must not own the access log"
        )
    return None
