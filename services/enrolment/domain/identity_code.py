"""The Finnish personal identity code (henkilötunnus), checked with its check character."""

from __future__ import annotations

from stdnum.exceptions import ValidationError
from stdnum.fi import hetu

from chassis.errors import DomainError


class InvalidIdentityCode(DomainError):
    def __init__(self) -> None:
        super().__init__("enrolment.invalid_identity_code")


def normalise_identity_code(raw: str) -> str:
    """The code in its canonical form, or InvalidIdentityCode (date, number, check char)."""
    try:
        return str(hetu.validate(raw.strip()))
    except ValidationError as exc:
        raise InvalidIdentityCode() from exc
