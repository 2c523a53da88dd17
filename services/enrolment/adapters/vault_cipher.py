"""The identity vault's cipher: AES-256-GCM, one random nonce per record.

A record is `format byte | 96-bit nonce | ciphertext and tag`. The client_ref is the
associated data, so a record copied onto another client's row does not decrypt: the database
cannot swap identities between clients without the tag refusing it. The format byte leaves
room for a second key (rotation) without guessing which key wrote a record.
"""

from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.enrolment.domain.client_identity import ClientIdentity

FORMAT_V1 = b"\x01"
NONCE_BYTES = 12  # 96 bits, the size GCM is built for


class VaultRecordUnreadable(Exception):
    """A record that this key cannot open: tampered, moved to another client, or another key."""


class VaultCipher:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)  # refuses a key that is not 16, 24 or 32 bytes

    def seal(self, client_ref: str, identity: ClientIdentity) -> bytes:
        plaintext = json.dumps(
            {
                "first_name": identity.first_name,
                "last_name": identity.last_name,
                "personal_identity_code": identity.personal_identity_code,
            },
            ensure_ascii=False,
        ).encode()
        # A fresh random nonce per record: with one key, a repeated nonce would reveal the
        # XOR of two plaintexts and allow forging, and random 96-bit nonces make that
        # negligible for the number of records a vault holds.
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT_V1 + nonce + self._aead.encrypt(nonce, plaintext, client_ref.encode())

    def open(self, client_ref: str, record: bytes) -> ClientIdentity:
        if record[:1] != FORMAT_V1 or len(record) <= 1 + NONCE_BYTES:
            raise VaultRecordUnreadable("unknown record format")
        nonce, sealed = record[1 : 1 + NONCE_BYTES], record[1 + NONCE_BYTES :]
        try:
            plaintext = self._aead.decrypt(nonce, sealed, client_ref.encode())
        except InvalidTag as exc:
            raise VaultRecordUnreadable("the record does not authenticate") from exc
        fields = json.loads(plaintext)
        return ClientIdentity(
            first_name=fields["first_name"],
            last_name=fields["last_name"],
            personal_identity_code=fields["personal_identity_code"],
        )
