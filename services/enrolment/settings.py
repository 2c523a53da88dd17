"""Enrolment's own settings: the identity vault's key (environment prefix DIGIPOLKU_).

Only enrolment holds clients' names and identity codes, so only enrolment reads this key; it
stays out of the chassis settings that every service loads.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A fixed key so that the local stack and the tests run without a secret. It is public (it is
# in this file), so it protects nothing and a production service refuses to start with it.
DEVELOPMENT_ONLY_VAULT_KEY = base64.b64encode(b"digipolku-development-only-key!!").decode()
VAULT_KEY_BYTES = 32  # AES-256


class VaultKeyError(ValueError):
    """The vault key is missing, malformed, or the development key in production."""


class EnrolmentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIGIPOLKU_", extra="ignore")

    environment: Literal["development", "production"] = "production"
    # DIGIPOLKU_VAULT_KEY: 32 random bytes, base64 (e.g. `openssl rand -base64 32`).
    vault_key: SecretStr = SecretStr(DEVELOPMENT_ONLY_VAULT_KEY)

    @model_validator(mode="after")
    def _refuse_the_development_key_in_production(self) -> EnrolmentSettings:
        if (
            self.environment == "production"
            and self.vault_key.get_secret_value() == DEVELOPMENT_ONLY_VAULT_KEY
        ):
            raise VaultKeyError(
                "DIGIPOLKU_VAULT_KEY must be set in production; the development key is public"
            )
        self.vault_key_bytes()  # a malformed key stops the service at start, not at a read
        return self

    def vault_key_bytes(self) -> bytes:
        try:
            key = base64.b64decode(self.vault_key.get_secret_value(), validate=True)
        except binascii.Error as exc:
            raise VaultKeyError("DIGIPOLKU_VAULT_KEY is not base64") from exc
        if len(key) != VAULT_KEY_BYTES:
            raise VaultKeyError(f"DIGIPOLKU_VAULT_KEY must be {VAULT_KEY_BYTES} bytes, base64")
        return key
