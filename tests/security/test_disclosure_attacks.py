"""The disclosure audit (decision 0031): every group the API, the page and the CSV can make
(one place × one time), every count each of them publishes (directly, or as a share's
numerator), and an attacker.

An attacker who knows the perturbation table knows that each published count is within
±MAX_DEVIATION (5) of the truth. For each set of 1–4 paths that they can isolate, as a
published cell of its own or as the difference of two published cells one inside the other
(nested periods, a place inside the tenant, a funnel step inside the one before, a split
inside its total; the comparison view shows the same groups side by side),
their interval for its size is the intersection of everything they have. None may be a single
value (worked out exactly), and none may be narrower than the noise the page states for a
single figure (±2, five values), except where zero bounds it (a count is never negative).
With a hard ±2 instead, this audit found groups of four pinned exactly (decision 0031).

A total minus all but one of its parts is tried too (a tenant and its municipalities or units,
all time and its cohorts or years, a year and its quarters, a quarter and its months, and every
split within a group); each part adds its own ±5 to that estimate.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import product
from uuid import UUID

import asyncpg
import pytest

from chassis.projector import Projector
from chassis.versioned_keys import VersionedKey
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS
from deploy.test_infrastructure import TestInfrastructure
from services.reporting.adapters.figures_projection import FIGURES
from services.reporting.adapters.figures_query import Filters, group_choices, path_facts
from services.reporting.adapters.filter_params import filters_of
from services.reporting.domain.cell_key import MAX_DEVIATION, TYPICAL_DEVIATION
from services.reporting.domain.facts import DISCONTINUATION_REASONS, FOLLOW_UPS, WEEKS
from services.reporting.domain.facts import OUTCOMES as OUTCOME_CODES
from services.reporting.domain.groups import periods_covering
from services.reporting.domain.path_counts import count_cells
from services.reporting.domain.published import Cell
from services.reporting.tests.database import reporting_pool
from services.reporting.tests.test_known_history import TENANT, History

KEYS = VersionedKey(1, b"disclosure audit cell key secret")
MUNICIPALITIES = ("061", "169", "433")
UNITS = ("Kuntouttava työtoiminta", "Työpaja")
# Six cohorts of a pilot year, each starting on a Monday.
COHORTS = {f"2026-{n}": date(2026, 1, 5) + timedelta(weeks=8 * n) for n in range(6)}
REASONS = ("health", "own_request", "moved", "employed", "other")
OUTCOMES = ("employed", "work_trial", "studies", "other_service", "none")


def population(seed: int, size: int = 78) -> list[History]:
    """A pilot county's year: paths spread over municipalities, units and cohorts, at every
    stage, some ended for a reason, some followed up."""
    rng = random.Random(seed)
    histories = []
    for n in range(size):
        cohort = rng.choice(list(COHORTS))
        weeks = rng.randint(1, 12)
        ending = None
        if rng.random() < 0.45:
            kind = "completed" if weeks >= 12 and rng.random() < 0.7 else "discontinued"
            reason = None if kind == "completed" else rng.choice(REASONS)
            ending = (kind, 7 * weeks - 2, reason)
        direction = (rng.choice(("work", "education")), 30) if weeks >= 5 else None
        outcomes = {}
        if ending and rng.random() < 0.8:
            outcomes["end"] = rng.choice(OUTCOMES)
        histories.append(
            History(
                f"audit-{seed}-{n}",
                start=COHORTS[cohort] + timedelta(days=7 * rng.choice((0, 0, 1, 3))),
                cohort=cohort,
                municipality=rng.choice(MUNICIPALITIES),
                unit=rng.choice(UNITS),
                weeks=weeks,
                answers={w: (rng.randint(0, 2), rng.randint(0, 1)) for w in range(1, weeks + 1)},
                direction=direction,
                changed_to=rng.choice((None, None, None, "education")) if direction else None,
                ending=ending,
                outcomes=outcomes,
            )
        )
    return histories


@pytest.fixture
async def pool(infrastructure: TestInfrastructure) -> AsyncIterator[asyncpg.Pool]:
    async with reporting_pool(infrastructure) as pool:
        yield pool


@dataclass
class Interval:
    low: int = 0  # a count is never below zero
    high: int = 10**9

    def narrow(self, low: int, high: int) -> None:
        self.low, self.high = max(self.low, low), min(self.high, high)


Cells = dict[str, tuple[frozenset[UUID], int]]  # a group's counts: name → (paths, published)
Place = tuple[str | None, str | None]  # (municipality, unit)
Time = tuple[str | None, str | None]  # (cohort, period)

# Within a group: a total and the cells that split it.
SPLITS: list[tuple[str, list[str]]] = [
    ("funnel.opened", ["status.active", "status.ended"]),
    ("status.ended", ["status.completed", "status.discontinued"]),
    ("status.discontinued", [f"discontinued.by_reason.{r}" for r in DISCONTINUATION_REASONS]),
    ("status.discontinued", [f"discontinued.by_week.{w}" for w in range(WEEKS + 1)]),
    (
        "funnel.direction_chosen",
        ["direction.work", "direction.education", "direction.not_recorded"],
    ),
    *(
        ("status.ended", [f"outcomes.{f}.followed_up", f"outcomes.{f}.not_followed_up"])
        for f in FOLLOW_UPS
    ),
    *(
        (f"outcomes.{f}.followed_up", [f"outcomes.{f}.{o}" for o in OUTCOME_CODES])
        for f in FOLLOW_UPS
    ),
]


async def published_groups(pool: asyncpg.Pool) -> dict[tuple[Place, Time], Cells]:
    """Every count of every group the space allows."""
    choices = await group_choices(pool, TENANT)
    places: list[Place] = [(None, None), *((m, None) for m in MUNICIPALITIES)]
    places += [(None, u) for u in UNITS]
    times: list[Time] = [(None, None), *((c, None) for c in COHORTS)]
    times += [(None, p.label) for p in periods_covering(choices.months)]
    groups: dict[tuple[Place, Time], Cells] = {}
    seen: dict[frozenset[UUID], int] = {}
    async with pool.acquire() as connection:
        for place, time in product(places, times):
            filters: Filters = filters_of(*place, time[0], None, None, time[1])
            facts = await path_facts(connection, TENANT, filters, KEYS)
            cells: Cells = {}
            for name, members in count_cells(facts).items():
                ids = frozenset(p.pathway_id for p in members)
                published = Cell.of(members).published
                # The same paths always give the same figure, whatever group showed them.
                assert seen.setdefault(ids, published) == published
                cells[name] = (ids, published)
            groups[(place, time)] = cells
    return groups


def partitions(
    groups: dict[tuple[Place, Time], Cells],
) -> list[tuple[tuple[frozenset[UUID], int], list[tuple[frozenset[UUID], int]]]]:
    """Totals with the cells that split them: within a group, and across groups (the tenant
    and its municipalities or units, all time and its cohorts or years, a year and its
    quarters, a quarter and its months)."""
    found = []
    for cells in groups.values():
        for total_name, part_names in SPLITS:
            found.append((cells[total_name], [cells[part] for part in part_names]))

    def period_parts(label: str | None) -> list[str]:
        known = [time[1] for _, time in groups if time[1]]
        if label is None:
            return [p for p in known if len(p) == 4]
        if len(label) == 4:
            return [p for p in known if p.startswith(label + "-Q")]
        if "-Q" in label:
            quarter = int(label[-1])
            months = [f"{label[:4]}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1)]
            return [p for p in known if p in months]
        return []

    places = {place for place, _ in groups}
    times = {time for _, time in groups}
    for (place, time), cells in groups.items():
        families: list[list[tuple[Place, Time]]] = []
        if place == (None, None):
            families.append([(p, time) for p in places if p[0] is not None])
            families.append([(p, time) for p in places if p[1] is not None])
        if time == (None, None):
            families.append([(place, t) for t in times if t[0] is not None])
        if time[0] is None:
            families.append([(place, (None, label)) for label in period_parts(time[1])])
        for family in families:
            if not family:
                continue
            for name, whole in cells.items():
                found.append((whole, [groups[key][name] for key in family]))
    return found


@dataclass
class Tried:
    differences: int = 0  # nested pairs whose difference is 1–4 paths
    partitions: int = 0  # totals split into parts, one part of 1–4 paths worked out


def attack(
    groups: dict[tuple[Place, Time], Cells], tried: Tried
) -> dict[frozenset[UUID], Interval]:
    """The attacker's interval for every small set they can isolate."""
    cells = {ids: published for of_group in groups.values() for ids, published in of_group.values()}
    intervals: dict[frozenset[UUID], Interval] = defaultdict(Interval)
    for ids, published in cells.items():
        if 0 < len(ids) < 5:
            intervals[ids].narrow(published - MAX_DEVIATION, published + MAX_DEVIATION)
    by_size = sorted(cells.items(), key=lambda item: len(item[0]))
    for outer, outer_published in by_size:
        for inner, inner_published in by_size:
            if len(inner) >= len(outer):
                break
            difference = outer - inner
            if 0 < len(difference) < 5 and inner < outer:
                seen = outer_published - inner_published
                intervals[difference].narrow(seen - 2 * MAX_DEVIATION, seen + 2 * MAX_DEVIATION)
                tried.differences += 1
    # A total minus all but one of its parts: each part adds its own noise to the estimate.
    for (whole, whole_published), parts in partitions(groups):
        union = frozenset().union(*(ids for ids, _ in parts))
        disjoint = sum(len(ids) for ids, _ in parts) == len(union)
        if union != whole or not disjoint:
            continue
        for ids, _ in parts:
            if 0 < len(ids) < 5:
                seen = whole_published - sum(p for other, p in parts if other is not ids)
                bound = MAX_DEVIATION * len(parts)
                intervals[ids].narrow(seen - bound, seen + bound)
                tried.partitions += 1
    return intervals


@pytest.mark.parametrize("seed", [2026, 7])
async def test_no_small_group_can_be_worked_out_from_the_figures(
    pool: asyncpg.Pool, seed: int
) -> None:
    histories = population(seed)
    projector = Projector(pool, FIGURES)
    for history in histories:
        for topic in (ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS):
            for envelope in history.topics()[topic]:
                await projector.handle(topic, envelope)
    groups = await published_groups(pool)
    tried = Tried()
    intervals = attack(groups, tried)
    cells = {ids for of_group in groups.values() for ids, _ in of_group.values()}
    exact = {ids: i for ids, i in intervals.items() if i.low == i.high}
    # Narrower than a single figure's ±2, unless zero is what bounds it.
    narrow = {
        ids: i
        for ids, i in intervals.items()
        if i.high - i.low < 2 * TYPICAL_DEVIATION and i.low > 0
    }
    print(
        f"seed {seed}: {len(groups)} groups, {len(cells)} distinct published cells,"
        f" {tried.differences} differences and {tried.partitions} parts of totals tried,"
        f" {len(intervals)} small sets isolated,"
        f" {len(exact)} exact, {len(narrow)} narrower than ±{TYPICAL_DEVIATION},"
        f" narrowest {min((i.high - i.low for i in intervals.values()), default=None)}"
    )
    assert all(i.low <= len(ids) <= i.high for ids, i in intervals.items())  # sound
    assert not exact, [(len(ids), i) for ids, i in exact.items()]
    assert not narrow, [(len(ids), i) for ids, i in narrow.items()]
