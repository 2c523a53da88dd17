"""Figures as rows: for the dashboard's tables and charts, and for the CSV export.

Pure: a FigureSet in, plain rows out. A hidden figure stays hidden in every form (no value).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.reporting.domain.figure_set import FigureSet
from services.reporting.domain.published import Figure


@dataclass(frozen=True)
class Bar:
    """One bar of a chart and one row of its table; `share` is the bar's length, 0–1."""

    label_key: str
    figure: Figure
    share: float
    params: dict[str, object] = field(default_factory=dict)  # for the label's text


def bars(
    figures: Sequence[tuple[str, Figure]], params: Sequence[dict[str, object]] = ()
) -> list[Bar]:
    """Bars scaled to the largest shown value; hidden or empty figures get no length.
    `params`, row by row, fill the labels' blanks (`Viikko {week}`)."""
    values = [f.value for _, f in figures if isinstance(f.value, int | float)]
    top = max((abs(v) for v in values), default=0) or 1
    return [
        Bar(
            key,
            figure,
            abs(figure.value) / top if isinstance(figure.value, int | float) else 0.0,
            dict(params[n]) if n < len(params) else {},
        )
        for n, (key, figure) in enumerate(figures)
    ]


def flatten(figures: FigureSet) -> Iterator[tuple[str, Figure]]:
    """Every figure with its dotted name (`funnel.opened`, `outcomes.3m.shares.employed`)."""

    def walk(prefix: str, value: Any) -> Iterator[tuple[str, Figure]]:
        if isinstance(value, Figure):
            yield prefix, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list):
            for item in value:
                name = getattr(item, "week", None) or getattr(item, "area_id", None)
                name = name or getattr(item, "instrument_id", "")
                yield from walk(f"{prefix}.{name}", item)
        elif hasattr(value, "__dict__"):
            for key in type(value).model_fields:
                if key in ("title", "visibility", "week", "area_id", "instrument_id"):
                    continue
                yield from walk(f"{prefix}.{key}" if prefix else key, getattr(value, key))

    for key in FigureSet.model_fields:
        if key in ("min_group", "noise"):
            continue
        yield from walk(key, getattr(figures, key))
