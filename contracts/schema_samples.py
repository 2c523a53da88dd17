"""Payloads generated from a committed JSON Schema, to feed an upcaster in the compat check.

Two samples per schema: one with only the required fields, one with every field. Only the
JSON Schema that pydantic emits for Digipolku events is supported (types, enum/const, formats
date, date-time and uuid, bounds, `$ref`, `anyOf`); anything else raises `UnsupportedSchema`
rather than guessing, so the check never passes on a sample it could not really build.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_FORMATS = {
    "date": "2026-01-05",
    "date-time": "2026-01-05T09:00:00+02:00",
    "uuid": "01935d5e-0000-7000-8000-000000000000",
}


class UnsupportedSchema(ValueError):
    """The schema uses a keyword this generator does not know how to satisfy."""


def samples(schema: Schema) -> list[dict[str, Any]]:
    """A minimal and a full payload that the schema allows."""
    minimal, full = _Sampler(schema, False), _Sampler(schema, True)
    out = [minimal.value(schema), full.value(schema)]
    if not all(isinstance(sample, dict) for sample in out):
        raise UnsupportedSchema("the root of an event schema must be an object")
    return out


class _Sampler:
    def __init__(self, root: Schema, every_field: bool) -> None:
        self.root = root
        self.every_field = every_field

    def value(self, schema: Schema, depth: int = 0) -> Any:
        if depth > 20:
            raise UnsupportedSchema("schema nests too deep (recursive definition?)")
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [self._resolve(option) for option in schema[key]]
                typed = [option for option in options if option.get("type") != "null"]
                return self.value((typed or options)[0], depth + 1)
        kind = schema.get("type")
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            count = max(schema.get("minItems", 0), 1 if self.every_field else 0)
            return [self.value(schema.get("items", {}), depth + 1) for _ in range(count)]
        if kind == "string":
            return self._string(schema)
        if kind in ("integer", "number"):
            return self._number(schema, kind)
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        raise UnsupportedSchema(f"cannot build a value for {schema!r}")

    def _resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            ref: str = schema["$ref"]
            if not ref.startswith("#/"):
                raise UnsupportedSchema(f"only local $refs are supported, not {ref!r}")
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target[part]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema

    def _object(self, schema: Schema, depth: int) -> dict[str, Any]:
        required = set(schema.get("required", []))
        properties: dict[str, Schema] = schema.get("properties", {})
        out = {
            name: self.value(field, depth + 1)
            for name, field in properties.items()
            if name in required or self.every_field
        }
        extra = schema.get("additionalProperties")
        if self.every_field and isinstance(extra, dict) and not properties:
            out["sample-key"] = self.value(extra, depth + 1)
        return out

    def _string(self, schema: Schema) -> str:
        if "pattern" in schema:
            raise UnsupportedSchema(f"cannot satisfy pattern {schema['pattern']!r}")
        if "format" in schema:
            if schema["format"] not in _FORMATS:
                raise UnsupportedSchema(f"unknown string format {schema['format']!r}")
            return _FORMATS[schema["format"]]
        length = max(int(schema.get("minLength", 0)), 1 if self.every_field else 0)
        if length > schema.get("maxLength", length):
            raise UnsupportedSchema(f"minLength above maxLength in {schema!r}")
        return "x" * length

    def _number(self, schema: Schema, kind: str) -> int | float:
        value: int | float = schema.get("minimum", 0)
        if "exclusiveMinimum" in schema:
            value = schema["exclusiveMinimum"] + 1
        too_big = ("maximum" in schema and value > schema["maximum"]) or (
            "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]
        )
        if too_big:
            raise UnsupportedSchema(f"no number fits {schema!r}")
        return int(value) if kind == "integer" else float(value)
