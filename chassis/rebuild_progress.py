"""How far a rebuild has come: events done of the total, the rate, and the time left.

On a terminal a `rich` progress bar; anywhere else (a Kubernetes job, a test) a structlog line
every few seconds, since a bar redrawn in a log file is noise. Either way the two rebuild
gauges (`digipolku_rebuild_events_replayed` and `_total`, chassis.metrics.definitions) follow
it, for the process' /metrics.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from chassis.logs import get_logger
from chassis.metrics.definitions import REBUILD_REPLAYED, REBUILD_TOTAL

log = get_logger(__name__)

# Seconds between two log lines when there is no terminal to draw on.
LOG_EVERY = 5.0


class RebuildProgress:
    """Told the total once it is known and the events done after each batch."""

    def __init__(self, what: str, *, terminal: bool | None = None) -> None:
        self.what = what
        self.total = 0
        self.done = 0
        self._terminal = sys.stderr.isatty() if terminal is None else terminal
        self._started = time.monotonic()
        self._logged = self._started
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> RebuildProgress:
        if self._terminal:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]:.0f} events/s"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=None, rate=0.0)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
        if kind is None:
            self._log("rebuild progress", final=True)

    def update(self, done: int, total: int) -> None:
        # The total grows while the replay learns each partition's true end, and the
        # catch-up adds what arrived meanwhile: never let it fall below what is done.
        self.done, self.total = done, max(total, done)
        REBUILD_REPLAYED.labels(self.what).set(self.done)
        REBUILD_TOTAL.labels(self.what).set(self.total)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=done, total=self.total, rate=self.rate)
        now = time.monotonic()
        if not self._terminal and now - self._logged >= LOG_EVERY:
            self._logged = now
            self._log("rebuild progress")

    @property
    def rate(self) -> float:
        """Events per second since the start."""
        elapsed = time.monotonic() - self._started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        """At the rate so far; None before anything is done."""
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else None

    def _log(self, message: str, *, final: bool = False) -> None:
        left = self.seconds_left
        log.info(
            message,
            projection=self.what,
            done=self.done,
            total=self.total,
            percent=round(100 * self.done / self.total, 1) if self.total else 100.0,
            events_per_second=round(self.rate, 1),
            seconds_left=0.0 if final else (None if left is None else round(left, 1)),
        )
