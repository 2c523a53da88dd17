"""`/figures` stays a stable API (issue 14): today's is an extension of the one before the
disclosure control (commit 4692544, kept in api/figures-v1.openapi.json). Every query
parameter it had is still taken as it was, and every field of its answers is still there with
a type its readers know. What a request may ask for did narrow, on purpose: a group outside
the fixed space (decision 0031) is a 422 problem that says what to choose instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chassis.service import create_app
from chassis.settings import ServiceSettings
from contracts.schema_compat import breaking_changes
from services.reporting.app import SPEC

V1 = json.loads((Path(__file__).parent / "api" / "figures-v1.openapi.json").read_text())
DEVELOPMENT = ServiceSettings(service_name="reporting", environment="development")
NOW: dict[str, Any] = create_app(SPEC, DEVELOPMENT).openapi()
Types = dict[str, set[str]]


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _fields(schema: dict[str, Any], document: dict[str, Any], path: str = "") -> Types:
    """Every field path of an answer and the JSON types it may have there."""
    schema = _resolve(schema, document)
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    found: Types = {path: set()}
    for option in options:
        option = _resolve(option, document)
        kind = option.get("type", "object" if "properties" in option else "any")
        found[path].add(kind)
        for name, child in option.get("properties", {}).items():
            for key, kinds in _fields(child, document, f"{path}.{name}").items():
                found.setdefault(key, set()).update(kinds)
        nested = {"[]": option.get("items"), "{}": option.get("additionalProperties")}
        for mark, child in nested.items():
            if isinstance(child, dict):
                for key, kinds in _fields(child, document, f"{path}{mark}").items():
                    found.setdefault(key, set()).update(kinds)
    return found


def _answer(document: dict[str, Any], path: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["paths"][path]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    return schema


def _parameters(document: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}


def test_every_old_query_parameter_is_taken_as_it_was() -> None:
    for path in ("/figures", "/figures/compare"):
        now = _parameters(NOW, path)
        for name, old in _parameters(V1, path).items():
            assert name in now, f"{path}: {name} is gone"
            assert not now[name].get("required", False) or old.get("required", False), name
            assert breaking_changes(old["schema"], now[name]["schema"]) == [], (path, name)


def test_every_old_field_of_an_answer_is_there_with_a_type_its_readers_know() -> None:
    for path in ("/figures", "/figures/compare"):
        before = _fields(_answer(V1, path), V1)
        after = _fields(_answer(NOW, path), NOW)
        assert len(before) > 100  # the walk reached the figures, so the check can fail
        for field, kinds in before.items():
            assert field in after, f"{path}: {field or 'the answer'} is gone"
            known = kinds | ({"integer"} if "number" in kinds else set())
            assert after[field] <= known | {"any"} or "any" in kinds, (field, after[field])
