"""The counts of paths: funnel, status, discontinuation (by reason and by week), the direction
split and the outcome follow-ups, each a set of paths published under its cell key.

`count_cells` names every such set, so the figures and the disclosure audit
(tests/security/test_disclosure_attacks.py) read the same sets. The counts no longer add up
exactly (a split's cells may differ from its total by a few): each carries its own noise,
which is what keeps a difference of two of them from being exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.reporting.domain.facts import (
    DISCONTINUATION_REASONS,
    FOLLOW_UPS,
    OUTCOMES,
    WEEKS,
    PathFacts,
)
from services.reporting.domain.figure_set import (
    DirectionFigures,
    Discontinued,
    DropOffWeek,
    FollowUpFigures,
    Funnel,
    Status,
)
from services.reporting.domain.published import Cell, Figure, Magnitude, share

STAGES = ("opened", "started", "reached_week_5", "direction_chosen", "completed")
DIRECTION_VALUES = (("work", "work"), ("education", "education"), ("not_recorded", None))


@dataclass(frozen=True)
class PathCounts:
    funnel: Funnel
    status: Status
    discontinued: Discontinued
    direction: DirectionFigures
    outcomes: dict[str, FollowUpFigures]


def count_cells(paths: Sequence[PathFacts]) -> dict[str, list[PathFacts]]:
    """Every published count of the group, by its dotted name, as the paths it counts."""
    ended = [p for p in paths if p.ending is not None]
    discontinued = [p for p in paths if p.ending == "discontinued"]
    chose = [p for p in paths if p.furthest_stage >= STAGES.index("direction_chosen")]
    cells: dict[str, list[PathFacts]] = {
        f"funnel.{stage}": [p for p in paths if p.furthest_stage >= number]
        for number, stage in enumerate(STAGES)
    }
    cells["status.active"] = [p for p in paths if p.ending is None]
    cells["status.ended"] = ended
    cells["status.completed"] = [p for p in paths if p.ending == "completed"]
    cells["status.discontinued"] = discontinued
    for reason in DISCONTINUATION_REASONS:
        cells[f"discontinued.by_reason.{reason}"] = [
            p for p in discontinued if p.discontinuation_reason == reason
        ]
    for week in range(WEEKS + 1):
        cells[f"discontinued.by_week.{week}"] = [p for p in discontinued if p.latest_week == week]
    for name, value in DIRECTION_VALUES:
        cells[f"direction.{name}"] = [p for p in chose if p.direction == value]
    cells["direction.clients_changed"] = [p for p in chose if p.direction_changes > 0]
    for follow_up in FOLLOW_UPS:
        followed = [p for p in ended if follow_up in p.outcomes]
        cells[f"outcomes.{follow_up}.followed_up"] = followed
        cells[f"outcomes.{follow_up}.not_followed_up"] = [
            p for p in ended if follow_up not in p.outcomes
        ]
        for outcome in OUTCOMES:
            cells[f"outcomes.{follow_up}.{outcome}"] = [
                p for p in followed if p.outcomes[follow_up] == outcome
            ]
    return cells


def path_counts(paths: Sequence[PathFacts]) -> PathCounts:
    members = count_cells(paths)
    cells = {name: Cell.of(of_cell) for name, of_cell in members.items()}

    def fig(name: str) -> Figure:
        return cells[name].figure()

    changed = members["direction.clients_changed"]
    return PathCounts(
        funnel=Funnel(**{stage: fig(f"funnel.{stage}") for stage in STAGES}),
        status=Status(
            active=fig("status.active"),
            ended=fig("status.ended"),
            completed=fig("status.completed"),
            discontinued=fig("status.discontinued"),
        ),
        discontinued=Discontinued(
            by_reason={r: fig(f"discontinued.by_reason.{r}") for r in DISCONTINUATION_REASONS},
            by_week=[
                DropOffWeek(week=w, discontinued=fig(f"discontinued.by_week.{w}"))
                for w in range(WEEKS + 1)
            ],
        ),
        direction=DirectionFigures(
            **{name: fig(f"direction.{name}") for name, _ in DIRECTION_VALUES},
            clients_changed=fig("direction.clients_changed"),
            # A count of changes, not of paths: a sum over the paths that changed.
            changes=Figure(
                round(Magnitude.of((p, p.direction_changes) for p in changed).published), False
            ),
        ),
        outcomes={f: _follow_up(cells, f) for f in FOLLOW_UPS},
    )


def _follow_up(cells: dict[str, Cell], follow_up: str) -> FollowUpFigures:
    base = cells[f"outcomes.{follow_up}.followed_up"].published
    return FollowUpFigures(
        followed_up=Figure(base, False),
        not_followed_up=cells[f"outcomes.{follow_up}.not_followed_up"].figure(),
        shares={
            o: share(cells[f"outcomes.{follow_up}.{o}"].published, base, base) for o in OUTCOMES
        },
    )
