"""Curriculum versions kept as JSON data files in services/tasks/curriculum/."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from services.tasks.domain.curriculum import Curriculum, Task

CURRICULUM_DIR = Path(__file__).resolve().parent.parent / "curriculum"
CURRENT_VERSION = "0-placeholder"


@cache
def load_curriculum(version: str = CURRENT_VERSION) -> Curriculum:
    path = CURRICULUM_DIR / f"{version}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    tasks = tuple(
        Task(
            task_id=item["task_id"],
            week=item["week"],
            title=item["title"],
            direction=item["direction"],
            requires_meeting=item["requires_meeting"],
        )
        for item in document["tasks"]
    )
    return Curriculum(version=document["version"], tasks=tasks)
