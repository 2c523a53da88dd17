"""Municipalities by their Statistics Finland codes, with Finnish and Swedish names and the
wellbeing area each belongs to; read from `municipalities.json` beside this module.

Enrolment checks a path's municipality against its tenant's list; reporting shows the names;
the simulator's national year opens paths in every area's municipalities. Events carry only
the three-digit code. Åland's municipalities are listed apart (`outside_areas`): they belong
to no wellbeing area, so no tenant accepts them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

DATA = Path(__file__).with_name("municipalities.json")
MUNICIPALITY_CODE = re.compile(r"^[0-9]{3}$")
Language = Literal["fi", "sv"]


@dataclass(frozen=True)
class WellbeingArea:
    code: str
    tenant: str
    fi: str
    sv: str


@dataclass(frozen=True)
class Municipality:
    code: str
    fi: str
    sv: str
    area: str

    def name(self, lang: Language = "fi") -> str:
        return self.sv if lang == "sv" else self.fi


@dataclass(frozen=True)
class MunicipalityRegister:
    source: str
    year: int
    areas: dict[str, WellbeingArea]
    municipalities: dict[str, Municipality]
    outside_areas: tuple[Municipality, ...] = ()
    verified: str = ""

    def tenants(self) -> list[str]:
        """Every area's tenant slug, in the order of the areas' codes."""
        return [self.areas[code].tenant for code in sorted(self.areas)]

    def of_tenant(self, tenant: str) -> list[Municipality]:
        """The tenant's own municipalities, by code; none for a tenant that is no area."""
        codes = {area.code for area in self.areas.values() if area.tenant == tenant}
        return sorted(
            (m for m in self.municipalities.values() if m.area in codes), key=lambda m: m.code
        )

    def belongs_to(self, code: str, tenant: str) -> bool:
        municipality = self.municipalities.get(code)
        if municipality is None:
            return False
        return self.areas[municipality.area].tenant == tenant

    def name(self, code: str, lang: Language = "fi") -> str:
        """The municipality's name; the code itself when it is not in the register
        (so an old or unknown value still shows as what it is)."""
        municipality = self.municipalities.get(code)
        return municipality.name(lang) if municipality else code


@cache
def register() -> MunicipalityRegister:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    areas = {
        a["code"]: WellbeingArea(a["code"], a["tenant"], a["fi"], a["sv"])
        for a in raw["wellbeing_areas"]
    }
    municipalities = {
        m["code"]: Municipality(m["code"], m["fi"], m["sv"], m["area"])
        for m in raw["municipalities"]
    }
    outside = tuple(
        Municipality(m["code"], m["fi"], m["sv"], "") for m in raw.get("without_wellbeing_area", ())
    )
    return MunicipalityRegister(
        raw["source"], int(raw["year"]), areas, municipalities, outside, raw.get("verified", "")
    )
