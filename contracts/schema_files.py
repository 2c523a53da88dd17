"""The committed JSON Schemas of the envelope and of every event version, in contracts/schemas/.

Layout: `<EventType>/v<N>.json` per event and version, and `envelope/v1.json`. Files are
written with sorted keys, an indent of 2 and a trailing newline, so an export is
byte-for-byte deterministic and diffs stay readable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts.envelope import EventEnvelope
from contracts.registry import ALL_EVENTS, LEGACY_EVENTS

SCHEMA_DIR = Path(__file__).parent / "schemas"
ENVELOPE_DIR = "envelope"
ENVELOPE_VERSION = 1


def schema_text(model: type[BaseModel]) -> str:
    """The model's JSON Schema as it is committed."""
    schema = model.model_json_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def expected_files() -> dict[Path, str]:
    """Every schema file the models produce, by path relative to SCHEMA_DIR."""
    files = {Path(f"{ENVELOPE_DIR}/v{ENVELOPE_VERSION}.json"): schema_text(EventEnvelope)}
    for model in (*ALL_EVENTS, *LEGACY_EVENTS):
        files[Path(f"{model.event_type}/v{model.schema_version}.json")] = schema_text(model)
    return files


def stale_files(schema_dir: Path = SCHEMA_DIR) -> list[Path]:
    """Expected files that are missing on disk or differ from what the models produce."""
    return [
        path
        for path, text in expected_files().items()
        if not (schema_dir / path).is_file() or (schema_dir / path).read_text("utf-8") != text
    ]


def committed_versions(schema_dir: Path = SCHEMA_DIR) -> dict[str, dict[int, dict[str, Any]]]:
    """Event type → version → committed schema (the envelope excluded)."""
    found: dict[str, dict[int, dict[str, Any]]] = {}
    for path in sorted(schema_dir.glob("*/v*.json")):
        if path.parent.name == ENVELOPE_DIR:
            continue
        version = int(path.stem.removeprefix("v"))
        found.setdefault(path.parent.name, {})[version] = json.loads(path.read_text("utf-8"))
    return found


def committed_envelope(schema_dir: Path = SCHEMA_DIR) -> dict[str, Any] | None:
    """The committed envelope schema, or None before the first export."""
    path = schema_dir / ENVELOPE_DIR / f"v{ENVELOPE_VERSION}.json"
    if not path.is_file():
        return None
    schema: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return schema
