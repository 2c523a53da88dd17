"""The business clock: what "now" and "today" are for decisions and event timestamps.

Dates are as the people using Digipolku see them, in Europe/Helsinki. In production the clock
is the system's. In development a service may be given a clock file (DIGIPOLKU_CLOCK_FILE):
while the file holds an ISO timestamp, that instant is "now" for every service reading the
same file; when it is empty or missing, the system clock is back. The cohort simulator moves
that file forward to live through months of paths in minutes (decision 0013).

Only business time follows it. Token lifetimes, sessions, database `recorded_at` columns and
timeouts keep real time: a simulated date must never make an expired token valid.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    """Reads "now" from a file that another process (the simulator) writes.

    The file is read again only when its modification time or size changes, so a service
    pays one stat per call.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._seen: tuple[int, int] | None = None
        self._instant: datetime | None = None

    def now(self) -> datetime:
        try:
            stat = os.stat(self._path)
        except FileNotFoundError:
            return datetime.now(UTC)
        signature = (stat.st_mtime_ns, stat.st_size)
        if signature != self._seen:
            self._instant = parse_instant(self._path.read_text(encoding="utf-8"))
            self._seen = signature
        return self._instant or datetime.now(UTC)


def parse_instant(text: str) -> datetime | None:
    """The instant a clock file holds, or None when it holds none (the real clock)."""
    text = text.strip()
    if not text:
        return None
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError(f"clock file timestamp must carry a UTC offset: {text!r}")
    return instant


def write_clock_file(path: Path, instant: datetime | None) -> None:
    """Set the simulated instant (None: back to real time), atomically for readers."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(instant.isoformat() if instant else "", encoding="utf-8")
    os.replace(temporary, path)


_clock: Clock = SystemClock()


def use_clock(clock: Clock) -> None:
    """Set this process's clock; a service does it once, at start, from its settings."""
    global _clock
    _clock = clock


def clock_from_file(path: Path | None) -> Clock:
    return FileClock(path) if path is not None else SystemClock()


def utc_now() -> datetime:
    return _clock.now().astimezone(UTC)


def helsinki_now() -> datetime:
    return _clock.now().astimezone(HELSINKI)


def helsinki_today(now: datetime | None = None) -> date:
    return (now or _clock.now()).astimezone(HELSINKI).date()
