"""Demo people for tests: valid identity codes and tokens from the development issuer."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx

from deploy.identity_codes import identity_code

TENANT = "kanta-hame"


@dataclass(frozen=True)
class Person:
    subject: str
    token: str
    identity_code: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class IdentityFactory:
    def __init__(self, issuer_url: str) -> None:
        self._issuer = issuer_url
        self._numbers = itertools.count(100)

    def token(self, **claims: object) -> str:
        response = httpx.post(f"{self._issuer}/dev/token", json=claims, timeout=10)
        response.raise_for_status()
        return str(response.json()["access_token"])

    def client(self, tenant: str = TENANT, **extra: object) -> Person:
        number = next(self._numbers)
        # Individual numbers 900–999 are temporary codes that enrolment refuses: they wrap
        # within 100–899, and with the birth date the code stays unique for 8,400 clients
        # (a whole make test now makes more than 800).
        individual = 100 + (number - 100) % 800
        code = identity_code(1 + number % 28, 1 + number % 12, 1980 + number % 20, individual)
        token = self.token(
            subject=f"client-{number}",
            role="client",
            tenant=tenant,
            personal_identity_code=code,
            **extra,
        )
        return Person(subject=f"client-{number}", token=token, identity_code=code)

    def staff(
        self,
        role: str = "counselor",
        tenant: str = TENANT,
        subject: str | None = None,
        **extra: object,
    ) -> Person:
        name = subject or f"{role}-{next(self._numbers)}"
        return Person(
            subject=name, token=self.token(subject=name, role=role, tenant=tenant, **extra)
        )
