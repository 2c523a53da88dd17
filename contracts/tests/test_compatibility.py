"""The compatibility check catches changes that would break an existing consumer."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import BaseModel, Field, create_model

from contracts.compat import all_problems, envelope_problems, problems_for
from contracts.events.base import EventModel
from contracts.events.enrolment import CounselorAssigned, PathwayOpened
from contracts.events.guidance import GuidanceMeetingScheduled
from contracts.events.tasks import DirectionChosen, SelfAssessmentSubmitted, TaskAnswered
from contracts.registry import ALL_EVENTS
from contracts.schema_compat import breaking_changes
from contracts.schema_files import committed_envelope, committed_versions, stale_files
from contracts.schema_samples import samples
from contracts.upcasting import Payload, Upcaster

Schema = dict[str, Any]


def schema_of(model: type[BaseModel]) -> Schema:
    return model.model_json_schema()


def variant(
    model: type[EventModel],
    *,
    drop: tuple[str, ...] = (),
    change: dict[str, Any] | None = None,
) -> type[EventModel]:
    """A real model like `model`, with fields dropped, retyped or added."""
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in model.model_fields.items()
        if name not in drop
    }
    fields.update(change or {})
    new: type[EventModel] = create_model(model.__name__, __base__=EventModel, **fields)
    return new


# The three rules of the brief, each on a modified real model.


def test_a_removed_field_is_caught() -> None:
    new = variant(TaskAnswered, drop=("answer_length",))
    assert breaking_changes(schema_of(TaskAnswered), schema_of(new)) == [
        "answer_length: field removed"
    ]


def test_a_changed_type_is_caught() -> None:
    new = variant(TaskAnswered, change={"week": (str, Field(description="Now text."))})
    assert breaking_changes(schema_of(TaskAnswered), schema_of(new)) == [
        "week: type changed: integer is no longer accepted (now string)"
    ]


def test_a_new_required_field_without_default_is_caught() -> None:
    new = variant(TaskAnswered, change={"mood": (str, Field(description="How it felt."))})
    assert breaking_changes(schema_of(TaskAnswered), schema_of(new)) == [
        "mood: new required field without a default"
    ]


def test_a_new_optional_field_is_allowed() -> None:
    new = variant(TaskAnswered, change={"mood": (str | None, Field(None, description="Mood."))})
    assert breaking_changes(schema_of(TaskAnswered), schema_of(new)) == []


def test_an_unchanged_schema_has_no_breaking_change() -> None:
    for model in ALL_EVENTS:
        assert breaking_changes(schema_of(model), schema_of(model)) == [], model.__name__


# Further rules, on the JSON Schema of real models.


def test_a_narrowed_literal_is_caught_and_a_widened_one_allowed() -> None:
    old = schema_of(DirectionChosen)
    narrowed = copy.deepcopy(old)
    narrowed["properties"]["direction"]["enum"] = ["work"]
    assert breaking_changes(old, narrowed) == [
        "direction: values narrowed: ['education'] no longer accepted"
    ]
    widened = copy.deepcopy(old)
    widened["properties"]["direction"]["enum"] = ["work", "education", "both"]
    assert breaking_changes(old, widened) == []


def test_an_open_string_becoming_a_literal_is_caught() -> None:
    old = schema_of(TaskAnswered)
    new = copy.deepcopy(old)
    new["properties"]["task_id"]["enum"] = ["w01-t1"]
    assert breaking_changes(old, new) == [
        "task_id: values narrowed: any string was accepted, now only ['w01-t1']"
    ]


def test_a_nullable_field_made_non_nullable_is_caught() -> None:
    new = variant(CounselorAssigned, change={"replaces": (str, Field("", description="Now str."))})
    problems = breaking_changes(schema_of(CounselorAssigned), schema_of(new))
    assert problems == ["replaces: type changed: null is no longer accepted (now string)"]


def test_an_optional_field_made_required_is_caught() -> None:
    new = variant(CounselorAssigned, change={"replaces": (str | None, Field(description="R."))})
    assert breaking_changes(schema_of(CounselorAssigned), schema_of(new)) == [
        "replaces: optional field became required"
    ]


def test_a_narrowed_bound_is_caught_and_a_loosened_one_allowed() -> None:
    old = schema_of(TaskAnswered)
    narrowed = copy.deepcopy(old)
    narrowed["properties"]["week"]["maximum"] = 10
    assert breaking_changes(old, narrowed) == ["week: constraint narrowed: maximum 12 → 10"]
    loosened = copy.deepcopy(old)
    loosened["properties"]["week"]["maximum"] = 52
    assert breaking_changes(old, loosened) == []


def test_a_changed_format_is_caught() -> None:
    old = schema_of(PathwayOpened)
    new = copy.deepcopy(old)
    new["properties"]["start_date"]["format"] = "date-time"
    assert breaking_changes(old, new) == ["start_date: format changed: date → date-time"]


def test_array_items_and_map_values_are_compared() -> None:
    old = schema_of(GuidanceMeetingScheduled)
    new = copy.deepcopy(old)
    new["properties"]["task_ids"]["items"] = {"type": "integer"}
    assert breaking_changes(old, new) == [
        "task_ids[]: type changed: string is no longer accepted (now integer)"
    ]
    old = schema_of(SelfAssessmentSubmitted)
    new = copy.deepcopy(old)
    new["properties"]["scores"]["additionalProperties"]["maximum"] = 2
    assert breaking_changes(old, new) == ["scores{*}: constraint narrowed: maximum 3 → 2"]
    new["properties"]["scores"]["additionalProperties"] = False
    assert breaking_changes(old, new) == ["scores: extra keys no longer accepted"]


def test_a_nested_change_is_caught_through_refs() -> None:
    old = schema_of(PathwayOpened)
    new = copy.deepcopy(old)
    del new["$defs"]["SuitabilityConfirmation"]["properties"]["digital_skills"]
    new["$defs"]["SuitabilityConfirmation"]["required"].remove("digital_skills")
    assert breaking_changes(old, new) == ["suitability_confirmed.digital_skills: field removed"]


def test_recursive_definitions_terminate() -> None:
    node = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"child": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}},
            }
        },
        "$ref": "#/$defs/Node",
    }
    assert breaking_changes(node, copy.deepcopy(node)) == []


# The upcaster path of the compat check.


def _pathway_opened_committed() -> dict[int, Schema]:
    return committed_versions()["PathwayOpened"]


def test_an_old_version_is_read_through_its_upcaster() -> None:
    assert problems_for("PathwayOpened", _pathway_opened_committed()) == []


def test_without_the_upcaster_the_old_version_is_compared_field_by_field() -> None:
    problems = problems_for("PathwayOpened", _pathway_opened_committed(), upcasters=Upcaster())
    assert "PathwayOpened v1 → v2: counselor_id: field removed" in problems
    assert "PathwayOpened v1 → v2: cohort: new required field without a default" in problems


def test_a_faulty_upcaster_is_caught() -> None:
    faulty = Upcaster()

    @faulty.register("PathwayOpened", 1)
    def forgets_the_cohort(payload: Payload) -> Payload:
        v2 = {k: v for k, v in payload.items() if k != "counselor_id"}
        return {**v2, "counselor_ids": [payload["counselor_id"]]}

    problems = problems_for("PathwayOpened", _pathway_opened_committed(), upcasters=faulty)
    assert problems
    assert all(p.startswith("PathwayOpened v1 → v2: cohort: upcast ") for p in problems)


def test_generated_samples_are_valid_payloads_of_every_model() -> None:
    for model in ALL_EVENTS:
        for sample in samples(schema_of(model)):
            model.model_validate(sample)


@pytest.mark.parametrize("model", ALL_EVENTS, ids=lambda m: m.__name__)
def test_committed_examples_validate_against_the_current_model(model: type[EventModel]) -> None:
    committed = committed_versions()[model.event_type][model.schema_version]
    for example in committed["examples"]:
        model.model_validate(example)


# The committed schemas themselves.


def test_committed_schemas_match_the_models() -> None:
    assert stale_files() == [], "run `python -m contracts.export` and commit the result"


def test_the_envelope_is_compatible_with_its_committed_schema() -> None:
    committed = committed_envelope()
    assert committed is not None
    assert envelope_problems(committed) == []


def test_current_models_read_every_committed_version() -> None:
    assert all_problems() == []
