"""Who the client is: the name and identity code that only enrolment's vault keeps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClientIdentity:
    """A client's identity as the counselor entered it (the identity code normalised).

    Never in an event, never in a log line: everywhere outside the vault the client is their
    pseudonymous client_ref.
    """

    first_name: str
    last_name: str
    personal_identity_code: str

    def __repr__(self) -> str:
        # A stray log of this object must not write the identity down.
        return "ClientIdentity(<hidden>)"
