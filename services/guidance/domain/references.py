"""What a meeting may refer to and when it may be (pure): tasks of the path's curriculum, and
a time within sane bounds in Europe/Helsinki (decision 0019).

A task id goes into events that are replayed for years and into the counselor's pages, so it
must name a task the path really has. A meeting's time is read as the counselors mean it: a
time without an offset is Helsinki local time; one with an offset is accepted only when the
offset is one a clock somewhere really shows, and is then kept as the same instant in
Helsinki time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from chassis.clock import HELSINKI
from chassis.errors import DomainError
from services.guidance.domain.outcomes import finnish_date

# The offsets of the world's clocks run from UTC-12 to UTC+14, in quarter hours
# (Nepal's +05:45, the Chatham Islands' +12:45); anything else is a typing error.
MIN_OFFSET = timedelta(hours=-12)
MAX_OFFSET = timedelta(hours=14)
OFFSET_STEP = timedelta(minutes=15)
# A meeting is arranged for the coming months; a year ahead is already far beyond a
# 12-week path and its follow-ups.
MAX_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class CurriculumTasks:
    """The task ids of the curricula a path may keep: its own version when guidance knows it,
    otherwise every published one (decision 0019)."""

    by_version: dict[str, frozenset[str]]

    def of(self, version: str | None) -> frozenset[str]:
        if version is not None and version in self.by_version:
            return self.by_version[version]
        return frozenset().union(*self.by_version.values())


def known_tasks(task_ids: Iterable[str], curriculum: frozenset[str]) -> list[str]:
    """The task ids, in order and without repeats, once each is a task of the curriculum."""
    chosen: list[str] = []
    for task_id in task_ids:
        if task_id not in curriculum:
            raise DomainError("guidance.unknown_task", task=task_id[:64])
        if task_id not in chosen:
            chosen.append(task_id)
    return chosen


def meeting_time(starts_at: datetime, opened_on: date | None, now: datetime) -> datetime:
    """The meeting's time in Helsinki, once it is one a meeting of this path can have.

    Not before the day the path started (a meeting already held may be recorded late), and
    not more than a year ahead. Raises a refusal that names the field and the bound.
    """
    offset = starts_at.utcoffset()
    if offset is not None and (not (MIN_OFFSET <= offset <= MAX_OFFSET) or offset % OFFSET_STEP):
        raise DomainError("guidance.meeting_time_offset")
    latest = now.astimezone(HELSINKI) + MAX_AHEAD
    # Before the path's opening has reached guidance, a year back is the floor.
    first_day = opened_on or (latest - 2 * MAX_AHEAD).date()
    earliest = datetime.combine(first_day, time(), HELSINKI)
    too_late = DomainError("guidance.meeting_time_too_late", latest=finnish_date(latest.date()))
    too_early = DomainError("guidance.meeting_time_before_start", start=finnish_date(first_day))
    try:
        local = (
            starts_at.replace(tzinfo=HELSINKI) if offset is None else starts_at.astimezone(HELSINKI)
        )
    except OverflowError:  # year 1 or 9999 moved across midnight: out of every bound anyway
        raise (too_late if starts_at.year > latest.year else too_early) from None
    if local > latest:
        raise too_late
    if local < earliest:
        raise too_early
    return local
