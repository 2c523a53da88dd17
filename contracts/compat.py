"""`python -m contracts.compat`: fail when a model would break an existing consumer.

Backward-transitive: the current model of each event must read every committed version of
it, not only the last. A version that an upcaster chain lifts to the current one is checked by
upcasting its examples and validating them against the current model.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import ValidationError

from contracts.registry import CURRENT
from contracts.schema_compat import breaking_changes
from contracts.schema_files import committed_versions
from contracts.upcasting import has_upcaster, upcast


def problems_for(event_type: str, versions: dict[int, dict[str, Any]]) -> list[str]:
    model = CURRENT.get(event_type)
    if model is None:
        return [f"{event_type}: committed schemas exist but no model reads them any more"]
    current = model.model_json_schema()
    problems: list[str] = []
    for version, committed in sorted(versions.items()):
        label = f"{event_type} v{version} → v{model.schema_version}"
        if version > model.schema_version:
            problems.append(f"{label}: the model is older than a committed schema")
        elif version < model.schema_version and has_upcaster(event_type, version):
            for example in committed.get("examples", []):
                lifted_version, lifted = upcast(event_type, version, example)
                try:
                    if lifted_version != model.schema_version:
                        raise ValueError(f"upcasters stop at v{lifted_version}")
                    model.model_validate(lifted)
                except (ValidationError, ValueError) as exc:
                    problems.append(f"{label}: upcast example is not readable: {exc}")
        else:
            problems += [f"{label}: {p}" for p in breaking_changes(committed, current)]
    return problems


def all_problems() -> list[str]:
    return [
        p
        for event_type, versions in committed_versions().items()
        for p in problems_for(event_type, versions)
    ]


def main() -> int:
    problems = all_problems()
    for problem in problems:
        print(f"BREAKING {problem}", file=sys.stderr)
    if problems:
        print(
            f"{len(problems)} breaking change(s): bump schema_version and add an upcaster "
            "instead of changing a published event.",
            file=sys.stderr,
        )
        return 1
    print(
        f"contracts: {len(committed_versions())} events compatible with every committed "
        "schema version"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
