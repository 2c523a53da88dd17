"""Self-assessment instruments kept as JSON data in services/tasks/instruments/.

A county adds an instrument by adding a file; `visibility: group_only` marks one whose
answers are shown to nobody individually (only as group figures in reporting).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.tasks.adapters.curriculum_files import Translated
from services.tasks.domain.self_assessment import Area, Instrument, Item, Visibility

INSTRUMENT_DIR = Path(__file__).resolve().parent.parent / "instruments"
PRIMARY_INSTRUMENT = "digipolku-itsearvio"


class ItemEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item_id: str = Field(min_length=1)
    text: Translated


class AreaEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    area_id: str = Field(min_length=1)
    group: Literal["career", "wellbeing", "digital"]
    title: Translated
    items: Annotated[list[ItemEntry], Field(min_length=1)]


class ScaleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Annotated[int, Field(ge=0, le=3)]
    label: Translated


class InstrumentFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    instrument_id: str = Field(min_length=1)
    version: str = Field(min_length=1)
    visibility: Visibility
    title: Translated
    intro: Translated
    scale: Annotated[list[ScaleEntry], Field(min_length=4, max_length=4)]
    areas: Annotated[list[AreaEntry], Field(min_length=1)]


def to_domain(document: InstrumentFile) -> Instrument:
    return Instrument(
        instrument_id=document.instrument_id,
        version=document.version,
        visibility=document.visibility,
        title=document.title.model_dump(),
        intro=document.intro.model_dump(),
        scale=tuple((s.value, s.label.model_dump()) for s in document.scale),
        areas=tuple(
            Area(
                a.area_id,
                a.group,
                a.title.model_dump(),
                tuple(Item(i.item_id, i.text.model_dump()) for i in a.items),
            )
            for a in document.areas
        ),
    )


def instrument_paths(directory: Path = INSTRUMENT_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.json") if p.name != "schema.json")


@cache
def load_instruments(directory: Path = INSTRUMENT_DIR) -> dict[str, Instrument]:
    documents = [
        InstrumentFile.model_validate(json.loads(p.read_text("utf-8")))
        for p in instrument_paths(directory)
    ]
    return {d.instrument_id: to_domain(d) for d in documents}
