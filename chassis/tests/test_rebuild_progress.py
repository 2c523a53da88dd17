"""A rebuild's progress: the rate so far and the time left at it, logged every few seconds
where there is no terminal to draw a bar on."""

from __future__ import annotations

import pytest
import structlog
from structlog.testing import capture_logs

from chassis import rebuild_progress
from chassis.rebuild_progress import RebuildProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _walk_through(clock: Clock) -> None:
    with RebuildProgress("caseload", terminal=False) as progress:
        assert progress.seconds_left is None  # nothing done: no rate to go by
        clock.now += 2
        progress.update(1000, 4000)
        assert progress.rate == 500
        assert progress.seconds_left == 6
        clock.now += rebuild_progress.LOG_EVERY
        progress.update(2000, 1500)  # a total learnt too small never goes below what is done
        assert progress.total == 2000


def test_the_rate_and_time_left_come_from_the_events_done_so_far(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr("chassis.rebuild_progress.time.monotonic", clock)
    with capture_logs() as logged:
        # A fresh logger: the module's own may be cached with the processors of an earlier
        # configuration (each service started in a test configures logging anew, with
        # cache_logger_on_first_use), which the capture does not replace.
        monkeypatch.setattr(rebuild_progress, "log", structlog.get_logger())
        _walk_through(clock)
    lines = [line for line in logged if line["event"] == "rebuild progress"]
    assert [(line["done"], line["total"], line["seconds_left"]) for line in lines] == [
        (2000, 2000, 0.0),  # the periodic line
        (2000, 2000, 0.0),  # the last one, on leaving
    ]
    assert lines[0]["events_per_second"] == round(2000 / (2 + rebuild_progress.LOG_EVERY), 1)
