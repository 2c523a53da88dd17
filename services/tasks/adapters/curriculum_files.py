"""Curriculum versions kept as JSON data files in services/tasks/curriculum/.

A published version is never edited: a path keeps the version it was opened with, so a new
version is a new file. `CurriculumFile` is the files' schema (exported as JSON Schema beside
them); loading validates every file against it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from services.tasks.domain.curriculum import (
    Curriculum,
    Material,
    MaterialKind,
    Task,
    TaskDirection,
    Theme,
    Week,
)

CURRICULUM_DIR = Path(__file__).resolve().parent.parent / "curriculum"
CURRENT_VERSION = "2"


class Translated(BaseModel):
    """A text in Finnish and Swedish; neither may be empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fi: str = Field(min_length=1)
    sv: str = Field(min_length=1)


class MaterialEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: MaterialKind
    title: Translated
    url: HttpUrl


class TaskEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: Annotated[str, Field(pattern=r"^w(0[1-9]|1[0-2])-t[1-9]$")]
    week: Annotated[int, Field(ge=1, le=12)]
    theme: Theme
    direction: TaskDirection
    title: Translated
    description: Translated
    instructions: Translated
    materials: Annotated[list[MaterialEntry], Field(min_length=1, max_length=4)]
    answer_prompt: Translated
    requires_meeting: bool


class WeekEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    week: Annotated[int, Field(ge=1, le=12)]
    theme: Theme
    title: Translated
    intro: Translated


class CurriculumFile(BaseModel):
    """One published curriculum version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    published: str
    weeks: Annotated[list[WeekEntry], Field(min_length=12, max_length=12)]
    tasks: list[TaskEntry]


def read_curriculum_file(path: Path) -> CurriculumFile:
    return CurriculumFile.model_validate(json.loads(path.read_text(encoding="utf-8")))


def to_domain(document: CurriculumFile) -> Curriculum:
    return Curriculum(
        version=document.version,
        weeks=tuple(
            Week(w.week, w.theme, w.title.model_dump(), w.intro.model_dump())
            for w in document.weeks
        ),
        tasks=tuple(
            Task(
                task_id=t.task_id,
                week=t.week,
                title=t.title.model_dump(),
                direction=t.direction,
                requires_meeting=t.requires_meeting,
                theme=t.theme,
                description=t.description.model_dump(),
                instructions=t.instructions.model_dump(),
                answer_prompt=t.answer_prompt.model_dump(),
                materials=tuple(
                    Material(m.kind, m.title.model_dump(), str(m.url)) for m in t.materials
                ),
            )
            for t in document.tasks
        ),
    )


@cache
def load_curriculum(version: str = CURRENT_VERSION, directory: Path = CURRICULUM_DIR) -> Curriculum:
    return to_domain(read_curriculum_file(directory / f"{version}.json"))


def published_versions(directory: Path = CURRICULUM_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.json") if p.stem != "schema")


def export_schema(directory: Path = CURRICULUM_DIR) -> None:
    """Write the files' JSON Schema beside them (checked by a test)."""
    text = json.dumps(CurriculumFile.model_json_schema(), indent=2, ensure_ascii=False)
    (directory / "schema.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    export_schema()
