"""The compatibility check catches changes that would break an existing consumer."""

from __future__ import annotations

import copy
from typing import Any

from contracts.compat import all_problems
from contracts.events.tasks import DirectionChosen, TaskAnswered
from contracts.schema_compat import breaking_changes
from contracts.schema_files import SCHEMA_DIR, expected_files


def schema_of(model: Any) -> dict[str, Any]:
    schema: dict[str, Any] = model.model_json_schema()
    return schema


def test_an_unchanged_schema_has_no_breaking_change() -> None:
    assert breaking_changes(schema_of(TaskAnswered), schema_of(TaskAnswered)) == []


def test_a_removed_field_is_caught() -> None:
    old = schema_of(TaskAnswered)
    new = copy.deepcopy(old)
    del new["properties"]["answer_length"]
    new["required"].remove("answer_length")
    assert breaking_changes(old, new) == ["answer_length: field removed"]


def test_a_changed_type_is_caught() -> None:
    old = schema_of(TaskAnswered)
    new = copy.deepcopy(old)
    new["properties"]["week"] = {"type": "string"}
    problems = breaking_changes(old, new)
    assert len(problems) == 1 and problems[0].startswith("week: type changed")


def test_a_narrowed_literal_is_caught() -> None:
    old = schema_of(DirectionChosen)
    new = copy.deepcopy(old)
    new["properties"]["direction"]["enum"] = ["work"]
    problems = breaking_changes(old, new)
    assert len(problems) == 1 and problems[0].startswith("direction: type changed")


def test_a_new_required_field_without_default_is_caught() -> None:
    old = schema_of(TaskAnswered)
    new = copy.deepcopy(old)
    new["properties"]["mood"] = {"type": "string"}
    new["required"].append("mood")
    assert breaking_changes(old, new) == ["mood: new required field without a default"]


def test_a_new_optional_field_is_allowed() -> None:
    old = schema_of(TaskAnswered)
    new = copy.deepcopy(old)
    new["properties"]["mood"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert breaking_changes(old, new) == []


def test_a_nested_change_is_caught_through_refs() -> None:
    from contracts.events.enrolment import PathwayOpened

    old = schema_of(PathwayOpened)
    new = copy.deepcopy(old)
    del new["$defs"]["SuitabilityConfirmation"]["properties"]["digital_skills"]
    new["$defs"]["SuitabilityConfirmation"]["required"].remove("digital_skills")
    assert breaking_changes(old, new) == ["suitability_confirmed.digital_skills: field removed"]


def test_committed_schemas_match_the_models() -> None:
    for path, text in expected_files().items():
        assert (SCHEMA_DIR / path).read_text("utf-8") == text, f"stale: {path}"


def test_current_models_read_every_committed_version() -> None:
    assert all_problems() == []
