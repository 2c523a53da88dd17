"""The self-assessment instruments as reporting reads them: which items make up which area.

Reporting reads the same JSON files that tasks asks its questions from, and only the fields it
needs (a tolerant reader: fields tasks adds later do not concern it). Each version of an
instrument is kept, because answers are grouped with the items of the version they were given in.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from services.reporting.domain.facts import Instrument, InstrumentArea


class InstrumentFilesError(RuntimeError):
    """The instrument folder is missing, empty, or holds a file reporting cannot read."""


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item_id: str = Field(min_length=1)


class _Area(BaseModel):
    model_config = ConfigDict(extra="ignore")

    area_id: str = Field(min_length=1)
    title: dict[str, str]
    items: list[_Item] = Field(min_length=1)


class _InstrumentFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    instrument_id: str = Field(min_length=1)
    version: str = Field(min_length=1)
    visibility: str
    title: dict[str, str]
    areas: list[_Area] = Field(min_length=1)


def load_instruments(directory: Path) -> dict[tuple[str, str], Instrument]:
    """(instrument id, version) → its areas; raises InstrumentFilesError at start, not later."""
    paths = sorted(p for p in directory.glob("*.json") if p.name != "schema.json")
    if not paths:
        raise InstrumentFilesError(f"no instrument files in {directory}")
    found: dict[tuple[str, str], Instrument] = {}
    for path in paths:
        try:
            document = _InstrumentFile.model_validate(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError) as exc:
            raise InstrumentFilesError(f"cannot read {path}: {exc}") from exc
        key = (document.instrument_id, document.version)
        if key in found:
            raise InstrumentFilesError(f"{path} repeats {key[0]} version {key[1]}")
        found[key] = Instrument(
            instrument_id=document.instrument_id,
            version=document.version,
            visibility=document.visibility,
            title=document.title,
            areas=tuple(
                InstrumentArea(a.area_id, a.title, tuple(i.item_id for i in a.items))
                for a in document.areas
            ),
        )
    return found
