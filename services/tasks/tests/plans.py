"""Plans for the domain tests: a started one, and events folded into it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from uuid import uuid4

from contracts.events.base import EventModel
from services.tasks.adapters.curriculum_files import load_curriculum
from services.tasks.domain.plan import Plan, start_plan

START = date(2026, 11, 30)
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
CURRICULUM = load_curriculum()


def apply_all(plan: Plan, events: Iterable[EventModel]) -> None:
    for event in events:
        plan.apply(event)


def started_plan() -> Plan:
    """A plan started on START with the current curriculum, nothing else recorded."""
    plan = Plan(uuid4())
    apply_all(plan, start_plan(plan, "c-1", CURRICULUM.version, START))
    return plan
