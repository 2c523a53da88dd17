"""The tenant's reference registries as plain rules: what a code looks like, which kinds
exist, and the errors a person meets when a path names something the registry does not hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from chassis.errors import DomainError, NotFound

# Short slugs: they travel in events and on the public topic, so they cannot hold a name,
# an identity code (no uppercase letters, no `+`/`A` century sign) or any other typed text.
REGISTRY_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
RegistryKind = Literal["unit", "cohort"]
StaffRole = Literal["counselor", "admin", "manager"]


@dataclass(frozen=True)
class RegistryEntry:
    kind: RegistryKind
    code: str
    name_fi: str
    name_sv: str | None
    retired_at: datetime | None

    @property
    def active(self) -> bool:
        return self.retired_at is None


@dataclass(frozen=True)
class StaffMember:
    subject: str
    role: str
    display_name: str | None
    active: bool
    source: Literal["token", "admin"]

    @property
    def may_counsel(self) -> bool:
        return self.active and self.role == "counselor"


class UnknownReference(DomainError):
    """A path names a municipality, unit, cohort or counselor the tenant does not know."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"enrolment.unknown_{field}", field=field, value=value)
        self.field = field
        self.value = value


class RetiredReference(DomainError):
    """The unit or cohort exists but the admin retired it: no new paths in it."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"enrolment.retired_{field}", field=field, value=value)
        self.field = field
        self.value = value


class NotACounselor(DomainError):
    """The staff member is known but cannot be a path's counselor (other role, or left)."""

    def __init__(self, value: str) -> None:
        super().__init__("enrolment.not_a_counselor", field="counselor_id", value=value)
        self.value = value


class RegistryEntryExists(DomainError):
    status = 409

    def __init__(self, kind: RegistryKind, code: str) -> None:
        super().__init__(f"enrolment.registry.{kind}_exists", value=code)


class RegistryEntryMissing(NotFound):
    def __init__(self, kind: RegistryKind, code: str) -> None:
        super().__init__(f"enrolment.registry.{kind}_missing", value=code)


# A Finnish identity code as a slug would write it (lowercase century sign and check mark).
IDENTITY_CODE_LIKE = re.compile(r"[0-9]{6}[-a-fu-y][0-9]{3}[0-9a-y]")


class CodeLooksLikeIdentityCode(DomainError):
    """An admin typed something shaped like an identity code as a unit or cohort code."""

    def __init__(self, code: str) -> None:
        super().__init__("enrolment.registry.code_like_identity_code", field="code")


def is_registry_code(value: str) -> bool:
    return REGISTRY_CODE.fullmatch(value) is not None


def check_new_code(code: str) -> None:
    """Codes are copied into every event and the public topic: nothing personal may hide in
    one, so a code holding an identity code's shape anywhere is refused."""
    if IDENTITY_CODE_LIKE.search(code):
        raise CodeLooksLikeIdentityCode(code)


def check_entry(kind: RegistryKind, field: str, code: str, entry: RegistryEntry | None) -> None:
    """A new path may name only an existing, active entry."""
    if entry is None:
        raise UnknownReference(field, code)
    if not entry.active:
        raise RetiredReference(field, code)


def check_counselor(subject: str, member: StaffMember | None) -> None:
    if member is None:
        raise UnknownReference("counselor_id", subject)
    if not member.may_counsel:
        raise NotACounselor(subject)
