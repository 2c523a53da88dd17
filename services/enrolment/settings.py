"""Enrolment's own settings: the identity vault's key and the pseudonym key (prefix DIGIPOLKU_).

Only enrolment holds clients' names and identity codes, so only enrolment reads these keys;
they stay out of the chassis settings that every service loads (decision 0025).
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chassis.production import refuse
from chassis.versioned_keys import VersionedKey, parse_versioned_key, versioned_key_problem

# A fixed key so that the local stack and the tests run without a secret. It is public (it is
# in this file), so it protects nothing and a production service refuses to start with it.
DEVELOPMENT_ONLY_VAULT_KEY = base64.b64encode(b"digipolku-development-only-key!!").decode()
DEVELOPMENT_ONLY_PSEUDONYM_KEY = "v1:development-only-pseudonym-key"
VAULT_KEY_BYTES = 32  # AES-256


class VaultKeyError(ValueError):
    """The vault key is missing, malformed, or the development key in production."""


class EnrolmentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIGIPOLKU_", extra="ignore")

    environment: Literal["development", "production"] = "production"
    # DIGIPOLKU_VAULT_KEY: 32 random bytes, base64 (e.g. `openssl rand -base64 32`).
    vault_key: SecretStr = SecretStr(DEVELOPMENT_ONLY_VAULT_KEY)
    # DIGIPOLKU_PSEUDONYM_KEY: `v<N>:<secret>` (e.g. `v1:$(openssl rand -hex 32)`). Keys the
    # vault's lookup hash that finds a person's random client_ref again; only enrolment has it.
    pseudonym_key: SecretStr = SecretStr(DEVELOPMENT_ONLY_PSEUDONYM_KEY)

    @model_validator(mode="after")
    def _refuse_keys_it_cannot_use(self) -> EnrolmentSettings:
        if self.environment == "production":
            refuse([self._vault_key_problem(), self._pseudonym_key_problem()])
        # Development too stops at start on a malformed key, not at the first read.
        self.vault_key_bytes()
        self.pseudonym()
        return self

    def _vault_key_problem(self) -> str | None:
        if self.vault_key.get_secret_value() == DEVELOPMENT_ONLY_VAULT_KEY:
            return "DIGIPOLKU_VAULT_KEY must be set in production; the development key is public"
        try:
            self.vault_key_bytes()
        except VaultKeyError as malformed:
            return str(malformed)
        return None

    def _pseudonym_key_problem(self) -> str | None:
        return versioned_key_problem(
            "DIGIPOLKU_PSEUDONYM_KEY", self.pseudonym_key.get_secret_value()
        )

    def vault_key_bytes(self) -> bytes:
        try:
            key = base64.b64decode(self.vault_key.get_secret_value(), validate=True)
        except binascii.Error as exc:
            raise VaultKeyError("DIGIPOLKU_VAULT_KEY is not base64") from exc
        if len(key) != VAULT_KEY_BYTES:
            raise VaultKeyError(f"DIGIPOLKU_VAULT_KEY must be {VAULT_KEY_BYTES} bytes, base64")
        return key

    def pseudonym(self) -> VersionedKey:
        return parse_versioned_key("DIGIPOLKU_PSEUDONYM_KEY", self.pseudonym_key.get_secret_value())
