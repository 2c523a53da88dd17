"""The committed JSON Schemas of every event version, in contracts/schemas/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts.envelope import EventEnvelope
from contracts.registry import ALL_EVENTS, LEGACY_EVENTS

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_text(model: type[BaseModel]) -> str:
    return (
        json.dumps(model.model_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


def expected_files() -> dict[Path, str]:
    """Every schema file the models produce, by path relative to SCHEMA_DIR."""
    files = {Path("envelope/v1.json"): schema_text(EventEnvelope)}
    for model in (*ALL_EVENTS, *LEGACY_EVENTS):
        files[Path(f"{model.event_type}/v{model.schema_version}.json")] = schema_text(model)
    return files


def committed_versions() -> dict[str, dict[int, dict[str, Any]]]:
    """Event type → version → committed schema."""
    found: dict[str, dict[int, dict[str, Any]]] = {}
    for path in sorted(SCHEMA_DIR.glob("*/v*.json")):
        if path.parent.name == "envelope":
            continue
        version = int(path.stem.removeprefix("v"))
        found.setdefault(path.parent.name, {})[version] = json.loads(path.read_text("utf-8"))
    return found
