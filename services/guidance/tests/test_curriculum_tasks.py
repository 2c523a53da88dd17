"""Guidance reads the task ids of every published curriculum from the published content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.guidance.adapters.curriculum_tasks import DEFAULT_DIRECTORY, read_curriculum_tasks


def test_every_published_version_and_its_tasks_are_known() -> None:
    published = sorted(p for p in DEFAULT_DIRECTORY.glob("*.json") if p.stem != "schema")
    known = read_curriculum_tasks(DEFAULT_DIRECTORY)
    assert sorted(known.by_version) == sorted(p.stem for p in published)
    for path in published:
        document = json.loads(path.read_text(encoding="utf-8"))
        assert known.by_version[path.stem] == {task["task_id"] for task in document["tasks"]}
    assert "w01-t1" in known.of("1")


def test_an_unknown_version_falls_back_to_every_published_task(tmp_path: Path) -> None:
    for version, tasks in (("1", ["w01-t1"]), ("2", ["w01-t2"])):
        document = {"version": version, "tasks": [{"task_id": t} for t in tasks]}
        (tmp_path / f"{version}.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "schema.json").write_text("{}", encoding="utf-8")
    known = read_curriculum_tasks(tmp_path)
    assert known.of("2") == {"w01-t2"}
    assert known.of(None) == known.of("9") == {"w01-t1", "w01-t2"}


def test_a_start_without_any_published_curriculum_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        read_curriculum_tasks(tmp_path)
