"""Every event model is documented, has a valid example and round-trips through JSON."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from contracts.envelope import Actor, EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import PathwayOpened
from contracts.events.legacy import PathwayOpenedV1
from contracts.events.tasks import SelfAssessmentSubmitted, TaskAnswered
from contracts.registry import ALL_EVENTS, CURRENT, UnknownEvent, make_envelope, parse_payload
from contracts.topics import public_topic, tenant_topic
from contracts.upcasting import NO_COHORT


def example_of(model: type[EventModel]) -> dict[str, Any]:
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict), f"{model.__name__} has no example"
    examples = extra["examples"]
    assert isinstance(examples, list) and examples
    example = copy.deepcopy(examples[0])  # never hand out the model's own example to mutate
    assert isinstance(example, dict)
    return example


@pytest.mark.parametrize("model", ALL_EVENTS, ids=lambda m: m.__name__)
def test_every_event_has_a_valid_example_that_round_trips(model: type[EventModel]) -> None:
    event = model.model_validate(example_of(model))
    assert model.model_validate_json(event.model_dump_json()) == event


def _properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every property of the schema and of its nested definitions."""
    found = list(schema.get("properties", {}).items())
    for definition in schema.get("$defs", {}).values():
        found += _properties(definition)
    return found


@pytest.mark.parametrize("model", (*ALL_EVENTS, PathwayOpenedV1), ids=lambda m: m.__name__)
def test_every_field_is_documented(model: type[EventModel]) -> None:
    undocumented = [name for name, field in model.model_fields.items() if not field.description]
    assert undocumented == []
    schema = model.model_json_schema()
    assert [name for name, prop in _properties(schema) if not prop.get("description")] == []


# Names that would mean free text or identity travels in an event; both are kept erasably
# by the owning service, and events carry ids and lengths only.
FORBIDDEN_FIELD_WORDS = (
    "text",
    "note",
    "comment",
    "message",
    "feedback_body",
    "name",
    "email",
    "phone",
    "address",
    "hetu",
    "ssn",
    "identity_code",
    "reason_text",
)


@pytest.mark.parametrize("model", ALL_EVENTS, ids=lambda m: m.__name__)
def test_no_free_text_or_identity_in_events(model: type[EventModel]) -> None:
    names = [name for name, _ in _properties(model.model_json_schema())]
    assert [n for n in names if any(word in n for word in FORBIDDEN_FIELD_WORDS)] == []


def test_event_types_are_unique_and_versions_declared() -> None:
    assert len(CURRENT) == len(ALL_EVENTS)
    for model in ALL_EVENTS:
        assert model.event_type == model.__name__
        assert model.schema_version == (2 if model is PathwayOpened else 1)


def test_field_rules_are_enforced() -> None:
    opened = example_of(PathwayOpened)
    with pytest.raises(ValidationError):
        PathwayOpened.model_validate({**opened, "counselor_ids": []})
    answered = example_of(TaskAnswered)
    for bad in ({"week": 13}, {"week": 0}, {"answer_length": -1}, {"kind": "essay"}):
        with pytest.raises(ValidationError):
            TaskAnswered.model_validate({**answered, **bad})
    with pytest.raises(ValidationError):
        TaskAnswered.model_validate({**answered, "answered_at": "2026-12-01T18:30:00"})
    assessed = example_of(SelfAssessmentSubmitted)
    with pytest.raises(ValidationError):
        SelfAssessmentSubmitted.model_validate({**assessed, "scores": {"item": 4}})


@pytest.mark.parametrize("model", ALL_EVENTS, ids=lambda m: m.__name__)
def test_events_are_frozen_and_refuse_unknown_fields(model: type[EventModel]) -> None:
    example = example_of(model)
    with pytest.raises(ValidationError):
        model.model_validate({**example, "surprise": 1})
    event = model.model_validate(example)
    with pytest.raises(ValidationError):
        event.pathway_id = uuid4()  # type: ignore[attr-defined]


def envelope_for(event: EventModel) -> EventEnvelope:
    return make_envelope(
        event,
        stream_id=str(uuid4()),
        stream_version=1,
        tenant="kanta-hame",
        correlation_id=uuid4(),
        causation_id=None,
        actor=Actor(role="counselor", id="staff-1"),
    )


def test_envelope_refuses_unknown_fields_and_naive_times() -> None:
    envelope = envelope_for(PathwayOpened.model_validate(example_of(PathwayOpened)))
    data = envelope.model_dump(mode="json")
    with pytest.raises(ValidationError):
        EventEnvelope.model_validate({**data, "extra": True})
    with pytest.raises(ValidationError):
        EventEnvelope.model_validate({**data, "occurred_at": datetime(2026, 1, 1).isoformat()})


def test_parse_payload_reads_the_current_version() -> None:
    event = PathwayOpened.model_validate(example_of(PathwayOpened))
    assert parse_payload(envelope_for(event)) == event


def test_a_stored_v1_pathway_opened_is_upcast_to_v2() -> None:
    v1 = PathwayOpenedV1.model_validate(example_of(PathwayOpenedV1))
    envelope = envelope_for(v1)
    assert envelope.schema_version == 1
    event = parse_payload(envelope)
    assert isinstance(event, PathwayOpened)
    assert event.counselor_ids == [v1.counselor_id]
    assert event.cohort == NO_COHORT
    assert event.client_ref == v1.client_ref


def test_unknown_event_types_are_refused() -> None:
    envelope = envelope_for(PathwayOpened.model_validate(example_of(PathwayOpened)))
    with pytest.raises(UnknownEvent):
        parse_payload(envelope.model_copy(update={"event_type": "PathwayTeleported"}))


def test_suitability_must_be_confirmed_in_the_event_itself() -> None:
    example = example_of(PathwayOpened)
    example["suitability_confirmed"] = {**example["suitability_confirmed"], "digital_skills": False}
    with pytest.raises(ValidationError):
        PathwayOpened.model_validate(example)


def test_outward_topics_are_per_tenant_slugs() -> None:
    assert public_topic("kanta-hame") == "digipolku.public.kanta-hame.statistics"
    assert tenant_topic("kanta-hame") == "digipolku.tenant.kanta-hame.paths"
    for topic in (public_topic, tenant_topic):
        with pytest.raises(ValueError):
            topic("Kanta Häme")


def test_a_version_no_upcaster_reaches_is_refused() -> None:
    envelope = envelope_for(PathwayOpened.model_validate(example_of(PathwayOpened)))
    with pytest.raises(UnknownEvent, match="cannot be read as v2"):
        parse_payload(envelope.model_copy(update={"schema_version": 3}))
