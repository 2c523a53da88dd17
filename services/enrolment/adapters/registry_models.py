"""The bodies of the registry and staff-directory routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from chassis.clean_text import CleanText
from services.enrolment.domain.registry import REGISTRY_CODE, RegistryEntry, StaffMember

Code = Annotated[
    str,
    Field(
        pattern=REGISTRY_CODE.pattern,
        min_length=1,
        max_length=40,
        description="A short slug (a-z, 0-9, hyphen); events carry it, so never a name.",
        examples=["forssa-ktt"],
    ),
]
NameFi = Annotated[
    str,
    CleanText(120, label="enrolment.field.name_fi", min_length=1, single_line=True, strip=True),
]
NameSv = Annotated[
    str,
    CleanText(120, label="enrolment.field.name_sv", min_length=1, single_line=True, strip=True),
]
StaffSubject = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,199}$", description="The token's `sub`.")
]
DisplayName = Annotated[
    str,
    CleanText(
        120, label="enrolment.field.display_name", min_length=1, single_line=True, strip=True
    ),
]


class NewEntry(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "forssa-ktt",
                    "name_fi": "Kuntouttava työtoiminta Forssa",
                    "name_sv": "Arbetsverksamhet i rehabiliteringssyfte Forssa",
                }
            ]
        },
    )

    code: Code
    name_fi: NameFi = Field(description="The name in Finnish.")
    name_sv: NameSv | None = Field(None, description="The name in Swedish, if it has one.")


class EntryNames(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name_fi": "Kevät 2027", "name_sv": "Våren 2027"}]},
    )

    name_fi: NameFi
    name_sv: NameSv | None = None


class EntryView(BaseModel):
    code: str
    name_fi: str
    name_sv: str | None
    active: bool
    retired_at: datetime | None

    @classmethod
    def of(cls, entry: RegistryEntry) -> EntryView:
        return cls(
            code=entry.code,
            name_fi=entry.name_fi,
            name_sv=entry.name_sv,
            active=entry.active,
            retired_at=entry.retired_at,
        )


class EntryList(BaseModel):
    items: list[EntryView]


class MunicipalityView(BaseModel):
    code: str = Field(description="Statistics Finland's three-digit municipality code.")
    name_fi: str
    name_sv: str


class MunicipalityList(BaseModel):
    source: str
    year: int
    items: list[MunicipalityView]


class StaffEntry(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"role": "counselor", "display_name": "Outi Ohjaaja", "active": True}]
        },
    )

    role: Literal["counselor", "admin", "manager"]
    display_name: DisplayName | None = None
    active: bool = True


class StaffView(BaseModel):
    subject: str
    role: str
    display_name: str | None
    active: bool
    source: str = Field(description="`token`: seen with a valid token; `admin`: kept by an admin.")

    @classmethod
    def of(cls, member: StaffMember) -> StaffView:
        return cls(
            subject=member.subject,
            role=member.role,
            display_name=member.display_name,
            active=member.active,
            source=member.source,
        )


class StaffList(BaseModel):
    items: list[StaffView]
