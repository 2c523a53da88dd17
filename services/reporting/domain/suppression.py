"""Small groups stay hidden: a figure about fewer than five people is not shown."""

from __future__ import annotations

from dataclasses import dataclass

MIN_GROUP = 5


@dataclass(frozen=True)
class Figure:
    value: int | None
    suppressed: bool


def shown(count: int, people: int | None = None) -> Figure:
    """`count` as a figure, hidden when it rests on 1–4 people (zero reveals nobody)."""
    basis = count if people is None else people
    if 0 < basis < MIN_GROUP:
        return Figure(None, True)
    return Figure(count, False)
