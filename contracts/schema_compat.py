"""Whether a new JSON Schema of an event still reads everything an old one allowed.

A consumer reading with the new model must accept every payload the old schema allowed:
no field removed, no type changed or narrowed (enums and literals included), no new required
field without a default. Adding an optional field is fine. Pure functions, no I/O.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def _resolve(schema: Schema, root: Schema) -> Schema:
    while "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = {**root.get("$defs", {})[name], **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _options(schema: Schema, root: Schema) -> list[Schema]:
    """A schema as a list of alternatives (anyOf/oneOf flattened, refs resolved)."""
    schema = _resolve(schema, root)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [option for part in schema[key] for option in _options(part, root)]
    return [schema]


def _values(schema: Schema) -> set[Any] | None:
    """The closed set of values an enum or const allows, or None when open."""
    if "const" in schema:
        return {_hashable(schema["const"])}
    if "enum" in schema:
        return {_hashable(value) for value in schema["enum"]}
    return None


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, dict | list) else value


def _type_of(schema: Schema) -> str:
    if "type" in schema:
        kind = schema["type"]
        return kind if isinstance(kind, str) else "|".join(sorted(kind))
    if "const" in schema or "enum" in schema:
        values = schema.get("enum", [schema.get("const")])
        kinds = {type(value).__name__ for value in values}
        return (
            {
                "str": "string",
                "bool": "boolean",
                "int": "integer",
                "NoneType": "null",
                "float": "number",
            }.get(kinds.pop(), "any")
            if len(kinds) == 1
            else "any"
        )
    return "any"


def _accepts(new: Schema, old: Schema) -> bool:
    """Whether one alternative of the new schema accepts everything `old` allows (shallowly)."""
    new_type, old_type = _type_of(new), _type_of(old)
    widened = new_type == "number" and old_type == "integer"
    if new_type not in ("any", old_type) and not widened:
        return False
    new_values, old_values = _values(new), _values(old)
    if new_values is not None:
        return old_values is not None and old_values <= new_values
    return not new.get("format") or new.get("format") == old.get("format")


def breaking_changes(old: Schema, new: Schema, path: str = "") -> list[str]:
    """Every way in which `new` would refuse a payload that `old` allowed."""
    return _compare(old, old, new, new, path)


def _compare(old: Schema, old_root: Schema, new: Schema, new_root: Schema, path: str) -> list[str]:
    problems: list[str] = []
    where = path or "(root)"
    new_options = _options(new, new_root)
    for old_option in _options(old, old_root):
        matches = [option for option in new_options if _accepts(option, old_option)]
        if not matches:
            problems.append(
                f"{where}: type changed: {_describe(old_option)} is no longer accepted "
                f"(now {' or '.join(_describe(o) for o in new_options)})"
            )
            continue
        target = matches[0]
        kind = _type_of(old_option)
        if kind == "object":
            problems += _compare_objects(old_option, old_root, target, new_root, path)
        elif kind == "array" and "items" in old_option and "items" in target:
            problems += _compare(
                old_option["items"], old_root, target["items"], new_root, f"{path}[]"
            )
    return problems


def _compare_objects(
    old: Schema, old_root: Schema, new: Schema, new_root: Schema, path: str
) -> list[str]:
    problems: list[str] = []
    old_props: dict[str, Schema] = old.get("properties", {})
    new_props: dict[str, Schema] = new.get("properties", {})
    for name, old_field in old_props.items():
        field_path = f"{path}.{name}" if path else name
        if name not in new_props:
            if new.get("additionalProperties") is False or "additionalProperties" not in new:
                problems.append(f"{field_path}: field removed")
            continue
        problems += _compare(old_field, old_root, new_props[name], new_root, field_path)
    old_required = set(old.get("required", []))
    for name in sorted(set(new.get("required", [])) - old_required):
        if "default" not in _resolve(new_props.get(name, {}), new_root):
            field_path = f"{path}.{name}" if path else name
            problems.append(f"{field_path}: new required field without a default")
    old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
    if isinstance(old_extra, dict) and isinstance(new_extra, dict):
        problems += _compare(old_extra, old_root, new_extra, new_root, f"{path}{{*}}")
    return problems


def _describe(schema: Schema) -> str:
    values = _values(schema)
    if values is not None:
        return f"{_type_of(schema)} {sorted(map(str, values))}"
    return _type_of(schema) + (f" ({schema['format']})" if "format" in schema else "")
