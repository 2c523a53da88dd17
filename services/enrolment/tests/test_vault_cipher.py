"""The vault's cipher: what it seals opens again, and nothing else does."""

from __future__ import annotations

import os

import pytest

from services.enrolment.adapters.vault_cipher import VaultCipher, VaultRecordUnreadable
from services.enrolment.domain.client_identity import ClientIdentity

IDENTITY = ClientIdentity("Aino-Äijä", "Öhman", "131052-308T")
CLIENT = "c-5d41402abc4b2a76b9719d911017c592"


@pytest.fixture
def cipher() -> VaultCipher:
    return VaultCipher(os.urandom(32))


def test_a_sealed_identity_opens_again(cipher: VaultCipher) -> None:
    assert cipher.open(CLIENT, cipher.seal(CLIENT, IDENTITY)) == IDENTITY


def test_the_record_holds_no_plaintext_and_a_fresh_nonce_each_time(cipher: VaultCipher) -> None:
    first, second = cipher.seal(CLIENT, IDENTITY), cipher.seal(CLIENT, IDENTITY)
    assert first != second
    for record in (first, second):
        for secret in ("Aino", "Öhman", "131052", "308T"):
            assert secret.encode() not in record
            assert secret.encode("utf-8") not in record


@pytest.mark.parametrize("position", [0, 1, 13, -1])
def test_a_tampered_record_is_refused(cipher: VaultCipher, position: int) -> None:
    record = bytearray(cipher.seal(CLIENT, IDENTITY))
    record[position] ^= 0x01
    with pytest.raises(VaultRecordUnreadable):
        cipher.open(CLIENT, bytes(record))


def test_a_record_moved_to_another_client_is_refused(cipher: VaultCipher) -> None:
    record = cipher.seal(CLIENT, IDENTITY)
    with pytest.raises(VaultRecordUnreadable):
        cipher.open("c-someone-else", record)


def test_another_key_cannot_open_it(cipher: VaultCipher) -> None:
    record = cipher.seal(CLIENT, IDENTITY)
    with pytest.raises(VaultRecordUnreadable):
        VaultCipher(os.urandom(32)).open(CLIENT, record)


@pytest.mark.parametrize("record", [b"", b"\x01", b"\x02" + bytes(40)])
def test_a_truncated_or_unknown_record_is_refused(cipher: VaultCipher, record: bytes) -> None:
    with pytest.raises(VaultRecordUnreadable):
        cipher.open(CLIENT, record)


def test_the_identity_does_not_show_in_a_log_line() -> None:
    assert "Aino" not in repr(IDENTITY) and "131052" not in repr(IDENTITY)
