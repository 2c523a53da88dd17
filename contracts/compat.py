"""`python -m contracts.compat`: fail when a model would break an existing consumer.

Backward-transitive: the current model of each event must read every committed version of
it, not only the last one.

- A committed version with no upcaster from it (the current version included) is compared
  field by field with `breaking_changes(committed, current)`.
- A committed older version with an upcaster chain is checked through the chain: its
  committed examples and two payloads generated from its schema (required fields only, every
  field) are upcast and must reach the current version and validate against the current model.
- The committed envelope schema is compared field by field with the current envelope.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.registry import CURRENT
from contracts.schema_compat import breaking_changes
from contracts.schema_files import SCHEMA_DIR, committed_envelope, committed_versions
from contracts.schema_samples import UnsupportedSchema, samples
from contracts.upcasting import UPCASTERS, Upcaster

Schema = dict[str, Any]


def problems_for(
    event_type: str,
    versions: dict[int, Schema],
    *,
    models: Mapping[str, type[EventModel]] = CURRENT,
    upcasters: Upcaster = UPCASTERS,
) -> list[str]:
    """Why the current model of `event_type` cannot read some committed version of it."""
    model = models.get(event_type)
    if model is None:
        return [f"{event_type}: committed schemas exist but no current model reads them"]
    current_version = model.schema_version
    current = model.model_json_schema()
    problems: list[str] = []
    for version, committed in sorted(versions.items()):
        label = f"{event_type} v{version} → v{current_version}"
        if version > current_version:
            problems.append(f"{label}: the model is older than a committed schema")
        elif version < current_version and upcasters.has(event_type, version):
            problems += _through_upcasters(label, event_type, version, committed, model, upcasters)
        else:
            problems += [f"{label}: {p}" for p in breaking_changes(committed, current)]
    return problems


def _through_upcasters(
    label: str,
    event_type: str,
    version: int,
    committed: Schema,
    model: type[EventModel],
    upcasters: Upcaster,
) -> list[str]:
    payloads: list[tuple[str, dict[str, Any]]] = [
        (f"committed example {i + 1}", example)
        for i, example in enumerate(committed.get("examples", []))
    ]
    problems: list[str] = []
    try:
        generated = samples(committed)
        payloads += [
            ("generated minimal sample", generated[0]),
            ("generated full sample", generated[1]),
        ]
    except UnsupportedSchema as exc:
        problems.append(f"{label}: cannot generate a sample of the committed schema: {exc}")
    if not payloads:
        problems.append(f"{label}: nothing to upcast: the committed schema has no example")
    for name, payload in payloads:
        reached, lifted = upcasters.upcast(event_type, version, payload)
        if reached != model.schema_version:
            problems.append(f"{label}: upcaster chain stops at v{reached}")
            break
        try:
            model.model_validate(lifted)
        except ValidationError as exc:
            for error in exc.errors():
                field = ".".join(str(part) for part in error["loc"]) or "(root)"
                problems.append(f"{label}: {field}: upcast {name} refused: {error['msg']}")
    return problems


def envelope_problems(committed: Schema | None) -> list[str]:
    """Why the current envelope cannot read envelopes written with the committed schema."""
    if committed is None:
        return []
    current = EventEnvelope.model_json_schema()
    return [f"envelope v1: {p}" for p in breaking_changes(committed, current)]


def all_problems(schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """Every breaking change of the current models against every committed schema."""
    events = [
        problem
        for event_type, versions in committed_versions(schema_dir).items()
        for problem in problems_for(event_type, versions)
    ]
    return envelope_problems(committed_envelope(schema_dir)) + events


def main() -> int:
    problems = all_problems()
    for problem in problems:
        print(f"BREAKING {problem}", file=sys.stderr)
    if problems:
        print(
            f"{len(problems)} breaking change(s): a published event changes only by a new "
            "schema_version plus an upcaster (contracts/upcasting.py), never in place.",
            file=sys.stderr,
        )
        return 1
    print(
        f"contracts: {len(committed_versions())} events and the envelope compatible with "
        "every committed schema version"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
