"""The checker's verdict as a table per fault kind, and the same as JSON."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from faults.checker import Verdict

COLUMNS = (
    ("fault", 22),
    ("injected", 8),
    ("relays", 6),
    ("acked", 6),
    ("lost", 5),
    ("dup", 4),
    ("order", 5),
    ("phantom", 7),
    ("recovery s", 10),
    ("unrecovered", 11),
)


def table(verdict: Verdict) -> str:
    lines = [
        "  ".join(
            title.rjust(width) if i else title.ljust(width)
            for i, (title, width) in enumerate(COLUMNS)
        )
    ]
    for row in sorted(verdict.rows.values(), key=lambda r: r.name):
        recovery = "-" if row.longest_recovery is None else f"{row.longest_recovery:.1f}"
        values = (
            row.name,
            row.injected,
            row.relays_killed,
            row.acknowledged,
            row.lost,
            row.duplicated,
            row.out_of_order,
            row.phantom,
            recovery,
            row.not_recovered,
        )
        lines.append(
            "  ".join(
                str(value).rjust(width) if i else str(value).ljust(width)
                for i, (value, (_, width)) in enumerate(zip(values, COLUMNS, strict=True))
            )
        )
    lines.append(
        f"total: {verdict.commands} commands acknowledged, {verdict.events} events stored;"
        f" lost {verdict.total('lost')}, duplicated {verdict.total('duplicated')},"
        f" out of order {verdict.total('out_of_order')}, phantom {verdict.total('phantom')};"
        f" rebuild differences {len(verdict.rebuild_differences)};"
        f" tenant topics: {verdict.public_expected} events expected,"
        f" {verdict.public_records} records"
    )
    return "\n".join(lines)


def problems(verdict: Verdict) -> str:
    found = [
        f"  {row.name}: {example}" for row in verdict.rows.values() for example in row.examples
    ]
    found += [f"  rebuild: {difference}" for difference in verdict.rebuild_differences]
    return "\n".join(found)


def write_json(verdict: Verdict, run: dict[str, Any], directory: Path) -> Path:
    """`run`: the seed, duration, schedule and traffic facts that go with the verdict."""
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        **run,
        "passed": not verdict.failed,
        "commands": verdict.commands,
        "events": verdict.events,
        "public_topic_checked": verdict.public_checked,
        "public_expected": verdict.public_expected,
        "public_records": verdict.public_records,
        "rebuild_differences": verdict.rebuild_differences,
        "rows": [
            {key: value for key, value in asdict(row).items() if not key.startswith("_")}
            for row in sorted(verdict.rows.values(), key=lambda r: r.name)
        ],
    }
    path = directory / f"faults-seed{run['seed']}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    path.write_text(text, encoding="utf-8")
    (directory / "latest.json").write_text(text, encoding="utf-8")
    return path
