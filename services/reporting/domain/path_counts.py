"""The counts of paths that add up to one another, hidden together.

Funnel, status, discontinuation (by reason and by week), the direction split and the outcome
follow-ups are all counts of the same paths, tied by sums: the funnel's steps are nested, the
status splits the paths opened, a follow-up splits the paths ended. One `Disclosure` holds them
all, so a cell hidden in one table is also covered in every table it appears in.
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
from services.reporting.domain.statistics import share
from services.reporting.domain.suppression import HIDDEN, NOTHING, Disclosure, Figure

STAGES = ("opened", "started", "reached_week_5", "direction_chosen", "completed")


@dataclass(frozen=True)
class PathCounts:
    funnel: Funnel
    status: Status
    discontinued: Discontinued
    direction: DirectionFigures
    outcomes: dict[str, FollowUpFigures]


def path_counts(paths: Sequence[PathFacts], hide_all: bool = False) -> PathCounts:
    d = Disclosure()
    for number, stage in enumerate(STAGES):
        d.count(stage, sum(1 for p in paths if p.furthest_stage >= number))
    d.chain(STAGES)

    ended = [p for p in paths if p.ending is not None]
    discontinued = [p for p in paths if p.ending == "discontinued"]
    d.count("ended", len(ended))
    d.count("active", len(paths) - len(ended))
    d.count("discontinued", len(discontinued))
    d.partition("opened", ["ended", "active"])
    d.partition("ended", ["completed", "discontinued"])

    reasons = [
        d.count(f"reason:{r}", sum(1 for p in discontinued if p.discontinuation_reason == r))
        for r in DISCONTINUATION_REASONS
    ]
    d.partition("discontinued", reasons)
    weeks = [
        d.count(f"week:{w}", sum(1 for p in discontinued if p.latest_week == w))
        for w in range(WEEKS + 1)
    ]
    d.partition("discontinued", weeks)

    chose = [p for p in paths if p.furthest_stage >= STAGES.index("direction_chosen")]
    changed = sum(1 for p in chose if p.direction_changes > 0)
    directions = [
        d.count(key, sum(1 for p in chose if p.direction == value))
        for key, value in (("work", "work"), ("education", "education"), ("not_recorded", None))
    ]
    d.partition("direction_chosen", directions)
    d.count("changed", changed)
    d.count("unchanged", len(chose) - changed, published=False)
    d.partition("direction_chosen", ["changed", "unchanged"])

    for follow_up in FOLLOW_UPS:
        followed = [p for p in ended if follow_up in p.outcomes]
        d.count(f"{follow_up}:followed", len(followed))
        d.count(f"{follow_up}:not_followed", len(ended) - len(followed))
        d.partition("ended", [f"{follow_up}:followed", f"{follow_up}:not_followed"])
        cells = [
            d.count(f"{follow_up}:{o}", sum(1 for p in followed if p.outcomes[follow_up] == o))
            for o in OUTCOMES
        ]
        d.partition(f"{follow_up}:followed", cells)

    hidden = set(d.counts) if hide_all else d.hidden()

    def fig(key: str) -> Figure:
        return d.figure(key, hidden)

    def outcome_share(follow_up: str, outcome: str) -> Figure:
        if f"{follow_up}:{outcome}" in hidden:
            return HIDDEN
        value = share(d.counts[f"{follow_up}:{outcome}"], d.counts[f"{follow_up}:followed"])
        return NOTHING if value is None else Figure(round(value, 3), False)

    return PathCounts(
        funnel=Funnel(**{stage: fig(stage) for stage in STAGES}),
        status=Status(
            active=fig("active"),
            ended=fig("ended"),
            completed=fig("completed"),
            discontinued=fig("discontinued"),
        ),
        discontinued=Discontinued(
            by_reason={r: fig(f"reason:{r}") for r in DISCONTINUATION_REASONS},
            by_week=[DropOffWeek(week=w, discontinued=fig(f"week:{w}")) for w in range(WEEKS + 1)],
        ),
        direction=DirectionFigures(
            work=fig("work"),
            education=fig("education"),
            not_recorded=fig("not_recorded"),
            clients_changed=fig("changed"),
            # Changes in all rest on the paths that changed: hidden with their count.
            changes=HIDDEN
            if "changed" in hidden
            else Figure(sum(p.direction_changes for p in chose), False),
        ),
        outcomes={
            f: FollowUpFigures(
                followed_up=fig(f"{f}:followed"),
                not_followed_up=fig(f"{f}:not_followed"),
                shares={o: outcome_share(f, o) for o in OUTCOMES},
            )
            for f in FOLLOW_UPS
        },
    )
