"""Every text a client reads, gathered from the files it lives in (decision 0043).

A client reads the pages of the tasks service, so a client's text is one of:
- the current curriculum version: each week's title and introduction, each task's title,
  description, instructions, answer prompt and material titles (earlier versions are published
  and never edited; new paths get the current one);
- the self-assessment instruments: gathered as `instrument_texts` and reported, not held to the
  limits — an item's words are part of the measurement, and the same words must be asked at the
  start and at the end of a path (a rewording is a new instrument version, a county's decision);
- the tasks service's catalogue (services/tasks/translations/): all of it — the service renders
  the client's pages; the few messages of its API that reach a counselor instead (e.g.
  `tasks.direction_not_chosen`) are held to the client's limits too, which costs them nothing;
- the chassis catalogue (chassis/translations/), which every page and error shares, except the
  keys in `NOT_FOR_CLIENTS`: those only staff or a program calling the API ever meets.
The catalogues of enrolment, guidance and reporting are read by counselors and managers; they
are gathered as `staff_texts` for the report, not held to the client's limits.
Keys added later to these files are read too: nothing here lists keys to check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chassis.i18n import CHASSIS_CATALOGUE
from chassis.readability import Language
from services.tasks.adapters.curriculum_files import CURRENT_VERSION, CURRICULUM_DIR
from services.tasks.adapters.instrument_files import instrument_paths

LANGUAGES: tuple[Language, ...] = ("fi", "sv")
SERVICES = Path(__file__).resolve().parents[2]
TASKS_CATALOGUE = SERVICES / "tasks" / "translations"
STAFF_CATALOGUES = tuple(
    SERVICES / name / "translations" for name in ("enrolment", "guidance", "reporting")
)

# Chassis keys no client meets: staff sign-in, and faults only a program calling the JSON API
# can make (a browser form never sends bad JSON, an If-Match header or an Idempotency-Key);
# `error.invalid_text` is only a placeholder for the `error.text.*` messages, which are checked.
NOT_FOR_CLIENTS = frozenset(
    {
        "error.staff_mfa_required",
        "error.malformed_json",
        "error.malformed_request",
        "error.bad_if_match",
        "error.idempotency_key_reused",
        "error.invalid_text",
    }
)


@dataclass(frozen=True)
class ClientText:
    source: str  # the file, relative to the repository
    key: str  # where in the file: a catalogue key or a path like w03-t1.instructions
    language: Language
    text: str


def _relative(path: Path) -> str:
    return str(path.resolve().relative_to(SERVICES.parent))


def _translated(source: str, key: str, value: dict[str, str]) -> Iterator[ClientText]:
    for language in LANGUAGES:
        yield ClientText(source, key, language, value[language])


def curriculum_texts(path: Path | None = None) -> Iterator[ClientText]:
    path = path or CURRICULUM_DIR / f"{CURRENT_VERSION}.json"
    document: dict[str, Any] = json.loads(path.read_text("utf-8"))
    source = _relative(path)
    for week in document["weeks"]:
        for field in ("title", "intro"):
            yield from _translated(source, f"week{week['week']}.{field}", week[field])
    for task in document["tasks"]:
        for field in ("title", "description", "instructions", "answer_prompt"):
            yield from _translated(source, f"{task['task_id']}.{field}", task[field])
        for number, material in enumerate(task["materials"], start=1):
            yield from _translated(source, f"{task['task_id']}.material{number}", material["title"])


def instrument_texts() -> Iterator[ClientText]:
    for path in instrument_paths():
        document: dict[str, Any] = json.loads(path.read_text("utf-8"))
        source = _relative(path)
        yield from _translated(source, "title", document["title"])
        yield from _translated(source, "intro", document["intro"])
        for step in document["scale"]:
            yield from _translated(source, f"scale{step['value']}", step["label"])
        for area in document["areas"]:
            yield from _translated(source, f"{area['area_id']}.title", area["title"])
            for item in area["items"]:
                yield from _translated(source, item["item_id"], item["text"])


def catalogue_texts(
    directory: Path, leave_out: frozenset[str] = frozenset()
) -> Iterator[ClientText]:
    for language in LANGUAGES:
        path = directory / f"{language}.json"
        entries: dict[str, str] = json.loads(path.read_text("utf-8"))
        for key, text in entries.items():
            if key not in leave_out:
                yield ClientText(_relative(path), key, language, text)


def client_texts() -> list[ClientText]:
    return [
        *curriculum_texts(),
        *catalogue_texts(TASKS_CATALOGUE),
        *catalogue_texts(CHASSIS_CATALOGUE, NOT_FOR_CLIENTS),
    ]


def staff_texts() -> list[ClientText]:
    return [text for directory in STAFF_CATALOGUES for text in catalogue_texts(directory)]
