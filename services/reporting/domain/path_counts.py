"""The counts of paths: funnel, status, discontinuation (by reason and by week), the direction
split and the outcome follow-ups, each a set of paths published under its cell key.

The counts no longer add up exactly (a split's cells may differ from its total by a few): each
carries its own noise, which is what keeps a difference of two of them from being exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


@dataclass(frozen=True)
class PathCounts:
    funnel: Funnel
    status: Status
    discontinued: Discontinued
    direction: DirectionFigures
    outcomes: dict[str, FollowUpFigures]


def _count(paths: Sequence[PathFacts], chosen: Callable[[PathFacts], bool]) -> Figure:
    return Cell.of(p for p in paths if chosen(p)).figure()


def path_counts(paths: Sequence[PathFacts]) -> PathCounts:
    ended = [p for p in paths if p.ending is not None]
    discontinued = [p for p in paths if p.ending == "discontinued"]
    chose = [p for p in paths if p.furthest_stage >= STAGES.index("direction_chosen")]
    changed = [p for p in chose if p.direction_changes > 0]
    return PathCounts(
        funnel=Funnel(
            **{
                stage: Cell.of(p for p in paths if p.furthest_stage >= number).figure()
                for number, stage in enumerate(STAGES)
            }
        ),
        status=Status(
            active=_count(paths, lambda p: p.ending is None),
            ended=Cell.of(ended).figure(),
            completed=_count(paths, lambda p: p.ending == "completed"),
            discontinued=Cell.of(discontinued).figure(),
        ),
        discontinued=Discontinued(
            by_reason={
                r: Cell.of(p for p in discontinued if p.discontinuation_reason == r).figure()
                for r in DISCONTINUATION_REASONS
            },
            by_week=[
                DropOffWeek(
                    week=w,
                    discontinued=Cell.of(p for p in discontinued if p.latest_week == w).figure(),
                )
                for w in range(WEEKS + 1)
            ],
        ),
        direction=DirectionFigures(
            work=_count(chose, lambda p: p.direction == "work"),
            education=_count(chose, lambda p: p.direction == "education"),
            not_recorded=_count(chose, lambda p: p.direction is None),
            clients_changed=Cell.of(changed).figure(),
            # A count of changes, not of paths: a sum over the paths that changed.
            changes=Figure(
                round(Magnitude.of((p, p.direction_changes) for p in changed).published), False
            ),
        ),
        outcomes={f: _follow_up(ended, f) for f in FOLLOW_UPS},
    )


def _follow_up(ended: Sequence[PathFacts], follow_up: str) -> FollowUpFigures:
    followed = [p for p in ended if follow_up in p.outcomes]
    base = Cell.of(followed).published
    return FollowUpFigures(
        followed_up=Figure(base, False),
        not_followed_up=_count(ended, lambda p: follow_up not in p.outcomes),
        shares={
            o: share(
                Cell.of(p for p in followed if p.outcomes[follow_up] == o).published, base, base
            )
            for o in OUTCOMES
        },
    )
