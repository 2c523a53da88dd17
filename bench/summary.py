"""The bench's closing table and its JSON (`test-artifacts/bench/results.json`): each figure
with the baseline it was measured against in the same run, its target, and whether it is met.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS_FILE = Path(__file__).resolve().parent.parent / "test-artifacts" / "bench" / "results.json"


@dataclass(frozen=True)
class Measured:
    """One figure: `value` in `unit`, against `baseline` (measured in the same run, its value
    in the same unit where it has one); `target` in words and `met` (None: no target yet)."""

    name: str
    value: float
    unit: str
    baseline: str
    baseline_value: float | None
    target: str
    met: bool | None


@dataclass
class Summary:
    figures: list[Measured] = field(default_factory=list)

    def add(self, measured: Measured) -> None:
        self.figures.append(measured)

    def extend(self, measured: list[Measured]) -> None:
        self.figures.extend(measured)

    def table(self) -> str:
        rows = [("figure", "value", "baseline (same run)", "target", "met")]
        for m in self.figures:
            baseline = (
                m.baseline
                if m.baseline_value is None
                else (f"{m.baseline} {_number(m.baseline_value)}")
            )
            met = "—" if m.met is None else ("yes" if m.met else "NO")
            rows.append((m.name, f"{_number(m.value)} {m.unit}", baseline, m.target, met))
        widths = [max(len(row[n]) for row in rows) for n in range(5)]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                 for row in rows]  # fmt: skip
        return "\n".join([lines[0], "  ".join("-" * width for width in widths), *lines[1:]])

    def write(self, path: Path = RESULTS_FILE) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "figures": [asdict(m) for m in self.figures],
        }
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return path


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"
