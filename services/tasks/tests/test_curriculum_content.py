"""The published curriculum: 12 weeks on the framework, 2–3 tasks a week for each direction,
every text in Finnish and Swedish, and the files valid against their schema."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest

from services.tasks.adapters.curriculum_files import (
    CURRENT_VERSION,
    CURRICULUM_DIR,
    CurriculumFile,
    load_curriculum,
    published_versions,
    read_curriculum_file,
)
from services.tasks.domain.curriculum import WEEK_THEMES, Direction
from services.tasks.domain.plan import Plan, start_plan

DIRECTIONS: tuple[Direction, ...] = ("work", "education")


@pytest.mark.parametrize("version", published_versions())
def test_every_published_file_is_valid(version: str) -> None:
    read_curriculum_file(CURRICULUM_DIR / f"{version}.json")


def test_the_schema_beside_the_files_is_current() -> None:
    committed = json.loads((CURRICULUM_DIR / "schema.json").read_text("utf-8"))
    assert committed == CurriculumFile.model_json_schema()


def test_twelve_weeks_of_two_or_three_tasks_for_each_direction() -> None:
    curriculum = load_curriculum()
    assert [w.week for w in curriculum.weeks] == list(range(1, 13))
    for week in range(1, 13):
        for direction in DIRECTIONS:
            tasks = curriculum.tasks_of_week(week, direction)
            assert 2 <= len(tasks) <= 3, (week, direction, [t.task_id for t in tasks])
        if week <= 5:
            assert all(t.direction == "both" for t in curriculum.tasks_of_week(week, None))


def test_weeks_and_tasks_follow_the_framework_themes() -> None:
    curriculum = load_curriculum()
    for week in curriculum.weeks:
        assert week.theme == WEEK_THEMES[week.week]
    for task in curriculum.tasks:
        assert task.theme == WEEK_THEMES[task.week], task.task_id


def test_every_text_is_in_finnish_and_swedish_and_differs() -> None:
    curriculum = load_curriculum()
    texts = [
        (t.task_id, field, getattr(t, field))
        for t in curriculum.tasks
        for field in ("title", "description", "instructions", "answer_prompt")
    ]
    texts += [(t.task_id, "material", m.title) for t in curriculum.tasks for m in t.materials]
    for owner, field, text in texts:
        assert text["fi"].strip() and text["sv"].strip(), (owner, field)
    # A translation, not a copy: the long texts differ between the languages.
    for task in curriculum.tasks:
        assert task.description["fi"] != task.description["sv"], task.task_id


def test_materials_are_public_https_links_and_some_tasks_need_a_meeting() -> None:
    curriculum = load_curriculum()
    for task in curriculum.tasks:
        assert 1 <= len(task.materials) <= 4
        assert all(m.url.startswith("https://") for m in task.materials)
    assert any(t.requires_meeting for t in curriculum.tasks)
    assert len({t.task_id for t in curriculum.tasks}) == len(curriculum.tasks)


def test_a_path_keeps_the_version_it_was_opened_with(tmp_path: Path) -> None:
    """A new version is published; a plan started on the old one still reads the old one."""
    shutil.copy(CURRICULUM_DIR / f"{CURRENT_VERSION}.json", tmp_path / "1.json")
    document = json.loads((tmp_path / "1.json").read_text("utf-8"))
    document["version"] = "2"
    document["tasks"][0]["title"]["fi"] = "Uusi otsikko"
    (tmp_path / "2.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")

    plan = Plan(uuid4())
    for event in start_plan(plan, "c-1", "1", date(2026, 11, 30)):
        plan.apply(event)
    assert plan.curriculum_version == "1"
    old = load_curriculum(plan.curriculum_version, tmp_path)
    new = load_curriculum("2", tmp_path)
    assert old.tasks[0].title["fi"] != "Uusi otsikko"
    assert new.tasks[0].title["fi"] == "Uusi otsikko"
