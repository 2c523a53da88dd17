"""Commands on an open path, and the one function that decides any of them.

Each command is what the counselor asked for, with its dates already settled (a date left
out means today, which the caller knows and the domain does not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts.events.base import EventModel
from contracts.events.enrolment import DiscontinuationReason, PauseReason
from services.enrolment.domain.pathway import (
    Pathway,
    assign_counselor,
    complete_pathway,
    discontinue_pathway,
    pause_pathway,
    resume_pathway,
)


@dataclass(frozen=True)
class AssignCounselor:
    counselor_id: str
    replaces: str | None = None


@dataclass(frozen=True)
class Pause:
    paused_on: date
    until: date | None = None
    reason: PauseReason | None = None


@dataclass(frozen=True)
class Resume:
    resumed_on: date


@dataclass(frozen=True)
class Complete:
    completed_on: date


@dataclass(frozen=True)
class Discontinue:
    reason: DiscontinuationReason
    discontinued_on: date


PathCommand = AssignCounselor | Pause | Resume | Complete | Discontinue


def decide(pathway: Pathway, command: PathCommand, today: date) -> list[EventModel]:
    """The events the command records on this path (none when it changes nothing)."""
    match command:
        case AssignCounselor():
            return assign_counselor(pathway, command.counselor_id, command.replaces)
        case Pause():
            return pause_pathway(pathway, command.paused_on, command.until, today, command.reason)
        case Resume():
            return resume_pathway(pathway, command.resumed_on, today)
        case Complete():
            return complete_pathway(pathway, command.completed_on, today)
        case Discontinue():
            return discontinue_pathway(pathway, command.reason, command.discontinued_on, today)
