"""Whether a new JSON Schema of an event still reads everything an old one allowed.

A consumer reading with the new model must accept every payload the old schema allowed. Each
problem is reported as `<field path>: <rule>: <detail>`, with these rules:

- `field removed`: a property of the old schema is gone (models forbid unknown fields, so an
  old payload that carries it would be refused).
- `type changed`: a JSON type the old schema allowed (null included) is no longer accepted;
  integer → number is a widening and allowed.
- `values narrowed`: an enum/Literal/const lost values, or an open type became a closed set.
- `format changed`: a string gained or changed its `format` (date, date-time, uuid, …).
- `constraint narrowed`: a bound got tighter (minimum, maximum, minLength, maxItems, …) or a
  pattern was added or changed.
- `extra keys no longer accepted`: an object or map that allowed arbitrary keys now does not.
- `new required field without a default` and `optional field became required`.

Adding an optional field, widening an enum and loosening a bound are fine. `$ref`/`$defs`,
nested objects, arrays, maps (`additionalProperties`), `anyOf`/`oneOf` (nullable fields
included) and single-element `allOf` are followed. Pure functions, no I/O.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_RESOLVED_REF = "x-resolved-ref"  # marks a schema reached through a $ref (recursion guard)
_PY_TO_JSON = {"str": "string", "bool": "boolean", "int": "integer", "float": "number"}


def breaking_changes(old_schema: Schema, new_schema: Schema) -> list[str]:
    """Every way in which `new_schema` would refuse a payload that `old_schema` allowed."""
    return _Comparison(old_schema, new_schema).compare(old_schema, new_schema, "", frozenset())


class _Comparison:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root

    def compare(self, old: Schema, new: Schema, path: str, seen: frozenset[Any]) -> list[str]:
        new_options = _options(new, self.new_root)
        problems: list[str] = []
        for old_option in _options(old, self.old_root):
            same_type = [option for option in new_options if _type_accepts(option, old_option)]
            if not same_type:
                problems.append(
                    f"{_where(path)}: type changed: {_describe(old_option)} is no longer "
                    f"accepted (now {' or '.join(_describe(o) for o in new_options)})"
                )
                continue
            found = [self._option(old_option, option, path, seen) for option in same_type]
            fewest: list[str] = min(found, key=len)
            problems += fewest
        return problems

    def _option(self, old: Schema, new: Schema, path: str, seen: frozenset[Any]) -> list[str]:
        """Problems when `new` (same JSON type as `old`) is to read what `old` allowed."""
        refs = (old.get(_RESOLVED_REF), new.get(_RESOLVED_REF))
        if refs[0] and refs[1]:
            if refs in seen:  # a recursive definition already being compared on this path
                return []
            seen = seen | {refs}
        problems = _value_problems(old, new, path) + _constraint_problems(old, new, path)
        kind = _type_of(old)
        if kind == "object":
            problems += self._objects(old, new, path, seen)
        elif kind == "array":
            problems += self.compare(old.get("items", {}), new.get("items", {}), f"{path}[]", seen)
        return problems

    def _objects(self, old: Schema, new: Schema, path: str, seen: frozenset[Any]) -> list[str]:
        problems: list[str] = []
        old_props: dict[str, Schema] = old.get("properties", {})
        new_props: dict[str, Schema] = new.get("properties", {})
        for name, old_field in old_props.items():
            if name not in new_props:
                problems.append(f"{_join(path, name)}: field removed")
            else:
                problems += self.compare(old_field, new_props[name], _join(path, name), seen)
        old_required = set(old.get("required", []))
        for name in sorted(set(new.get("required", [])) - old_required):
            if "default" in _resolve(new_props.get(name, {}), self.new_root):
                continue
            rule = (
                "optional field became required"
                if name in old_props
                else "new required field without a default"
            )
            problems.append(f"{_join(path, name)}: {rule}")
        old_extra, new_extra = _extra_keys(old), _extra_keys(new)
        if old_extra is not None:
            if new_extra is None:
                problems.append(f"{_where(path)}: extra keys no longer accepted")
            else:
                problems += self.compare(old_extra, new_extra, f"{path}{{*}}", seen)
        return problems


def _where(path: str) -> str:
    return path or "(root)"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _resolve(schema: Schema, root: Schema) -> Schema:
    """Follow `$ref` (into `$defs`) and single-element `allOf`, keeping sibling keywords."""
    while True:
        if "$ref" in schema:
            ref: str = schema["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local $refs are supported, not {ref!r}")
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part]
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            schema = {_RESOLVED_REF: ref, **target, **siblings}
        elif isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            siblings = {key: value for key, value in schema.items() if key != "allOf"}
            schema = {**schema["allOf"][0], **siblings}
        else:
            return schema


def _options(schema: Schema, root: Schema) -> list[Schema]:
    """A schema as a flat list of alternatives (anyOf/oneOf flattened, refs resolved)."""
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
        kinds = {
            "null" if value is None else _PY_TO_JSON.get(type(value).__name__, "any")
            for value in values
        }
        return kinds.pop() if len(kinds) == 1 else "any"
    if "properties" in schema:
        return "object"
    return "any"


def _type_accepts(new: Schema, old: Schema) -> bool:
    new_type, old_type = _type_of(new), _type_of(old)
    return new_type in ("any", old_type) or (new_type == "number" and old_type == "integer")


def _value_problems(old: Schema, new: Schema, path: str) -> list[str]:
    problems: list[str] = []
    old_values, new_values = _values(old), _values(new)
    if new_values is not None:
        if old_values is None:
            problems.append(
                f"{_where(path)}: values narrowed: any {_type_of(old)} was accepted, now only "
                f"{sorted(map(str, new_values))}"
            )
        elif lost := old_values - new_values:
            problems.append(
                f"{_where(path)}: values narrowed: {sorted(map(str, lost))} no longer accepted"
            )
    if new.get("format") and new.get("format") != old.get("format"):
        problems.append(
            f"{_where(path)}: format changed: {old.get('format', 'none')} → {new['format']}"
        )
    return problems


def _constraint_problems(old: Schema, new: Schema, path: str) -> list[str]:
    problems: list[str] = []
    for key in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
        if key not in new:
            continue
        tighter = (
            key not in old
            or (key in _LOWER_BOUNDS and new[key] > old[key])
            or (key in _UPPER_BOUNDS and new[key] < old[key])
        )
        if tighter:
            problems.append(
                f"{_where(path)}: constraint narrowed: {key} {old.get(key, 'none')} → {new[key]}"
            )
    if "pattern" in new and new["pattern"] != old.get("pattern"):
        problems.append(
            f"{_where(path)}: constraint narrowed: pattern {old.get('pattern', 'none')!r} → "
            f"{new['pattern']!r}"
        )
    return problems


def _extra_keys(schema: Schema) -> Schema | None:
    """The schema extra keys of an object must match, or None when none are allowed."""
    extra = schema.get("additionalProperties", True)
    if extra is False:
        return None
    return extra if isinstance(extra, dict) else {}


def _describe(schema: Schema) -> str:
    values = _values(schema)
    if values is not None:
        return f"{_type_of(schema)} {sorted(map(str, values))}"
    return _type_of(schema) + (f" ({schema['format']})" if "format" in schema else "")
