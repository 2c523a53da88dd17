"""Upcasters lift stored payloads to the current version without touching the originals."""

from __future__ import annotations

import copy
import json

import pytest

from contracts.events.enrolment import PathwayOpened
from contracts.events.legacy import PathwayOpenedV1
from contracts.upcasting import NO_COHORT, Payload, Upcaster, has_upcaster, upcast

# A PathwayOpened v1 payload exactly as the event store held it (JSON from the payload column).
STORED_V1 = json.loads(
    """{
      "pathway_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
      "client_ref": "c-9b74c9897bac770ffc029102a200c5de",
      "municipality": "Jokioinen",
      "unit": "Kuntouttava työtoiminta Forssa",
      "start_date": "2025-09-01",
      "counselor_id": "staff-0a1b",
      "suitability_confirmed": {
        "life_management": true,
        "digital_skills": true,
        "self_assessment_ability": true,
        "strong_identification": true
      }
    }"""
)


def test_a_stored_v1_payload_becomes_a_valid_v2_model() -> None:
    PathwayOpenedV1.model_validate(STORED_V1)  # it really is a v1 payload
    original = copy.deepcopy(STORED_V1)
    version, payload = upcast("PathwayOpened", 1, STORED_V1)
    assert version == PathwayOpened.schema_version == 2
    event = PathwayOpened.model_validate(payload)
    assert event.counselor_ids == ["staff-0a1b"]
    assert event.cohort == NO_COHORT
    assert str(event.pathway_id) == STORED_V1["pathway_id"]
    assert original == STORED_V1, "the stored payload must not be changed"


def test_the_current_version_passes_through_unchanged() -> None:
    payload = {"pathway_id": "x"}
    assert upcast("PathwayOpened", 2, payload) == (2, payload)
    assert upcast("TaskAnswered", 1, payload) == (1, payload)
    assert has_upcaster("PathwayOpened", 1) and not has_upcaster("PathwayOpened", 2)


def test_a_chain_of_steps_is_applied_in_order() -> None:
    registry = Upcaster()

    @registry.register("Thing", 1)
    def one_to_two(payload: Payload) -> Payload:
        return {**payload, "steps": [*payload.get("steps", []), 2]}

    @registry.register("Thing", 2)
    def two_to_three(payload: Payload) -> Payload:
        return {**payload, "steps": [*payload["steps"], 3]}

    assert registry.upcast("Thing", 1, {}) == (3, {"steps": [2, 3]})
    assert registry.upcast("Thing", 2, {"steps": []}) == (3, {"steps": [3]})


def test_a_step_that_mutates_its_input_cannot_change_the_callers_payload() -> None:
    registry = Upcaster()

    @registry.register("Thing", 1)
    def careless(payload: Payload) -> Payload:
        payload["nested"]["seen"] = True
        return payload

    stored: Payload = {"nested": {}}
    assert registry.upcast("Thing", 1, stored) == (2, {"nested": {"seen": True}})
    assert stored == {"nested": {}}


def test_a_step_is_registered_once() -> None:
    registry = Upcaster()
    registry.add("Thing", 1, dict)
    with pytest.raises(ValueError, match="already has an upcaster"):
        registry.add("Thing", 1, dict)
    with pytest.raises(ValueError):
        registry.add("Thing", 0, dict)
