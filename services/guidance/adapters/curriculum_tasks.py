"""The task ids of every published curriculum version, read from the published content.

A curriculum version is content, published once and never edited (a new version is a new
file; tasks validates them against `schema.json` beside them). Guidance reads the files as any
reader of published content would, never tasks' code or database, and takes only the task
ids: what a meeting may be about (decision 0019).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from services.guidance.domain.references import CurriculumTasks

# Where the content is published; the repository keeps it with its author, the tasks service.
DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "tasks" / "curriculum"
DIRECTORY_SETTING = "DIGIPOLKU_CURRICULUM_DIR"


def curriculum_directory() -> Path:
    return Path(os.environ.get(DIRECTORY_SETTING) or DEFAULT_DIRECTORY)


def read_curriculum_tasks(directory: Path | None = None) -> CurriculumTasks:
    """Every published version's task ids; a directory without any stops the start."""
    found: dict[str, frozenset[str]] = {}
    for path in sorted((directory or curriculum_directory()).glob("*.json")):
        if path.stem == "schema":
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        found[str(document["version"])] = frozenset(
            str(task["task_id"]) for task in document["tasks"]
        )
    if not found or not all(found.values()):
        raise RuntimeError(f"no published curriculum with tasks in {directory}")
    return CurriculumTasks(found)
