"""The business clock: real time by default, a clock file's instant in development."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from chassis.clock import (
    FileClock,
    SystemClock,
    helsinki_today,
    use_clock,
    utc_now,
    write_clock_file,
)
from chassis.settings import ServiceSettings


def test_a_missing_or_empty_clock_file_means_real_time(tmp_path: Path) -> None:
    clock = FileClock(tmp_path / "clock")
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    write_clock_file(tmp_path / "clock", None)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_file_instant_is_now_until_it_is_moved(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    clock = FileClock(path)
    first = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)
    write_clock_file(path, first)
    assert clock.now() == first
    assert clock.now() == first  # frozen: simulated time moves only when the file does
    write_clock_file(path, first + timedelta(days=9))
    assert clock.now() == first + timedelta(days=9)
    write_clock_file(path, None)
    assert clock.now() > first + timedelta(days=30)


def test_today_is_the_helsinki_date_of_the_clock(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    # 22:30 UTC on 2 March is already 3 March in Helsinki (UTC+2).
    write_clock_file(path, datetime(2026, 3, 2, 22, 30, tzinfo=UTC))
    use_clock(FileClock(path))
    try:
        assert helsinki_today() == date(2026, 3, 3)
        assert utc_now() == datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    finally:
        use_clock(SystemClock())


def test_a_timestamp_without_offset_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    path.write_text("2026-03-02T10:00:00", encoding="utf-8")
    with pytest.raises(ValueError, match="UTC offset"):
        FileClock(path).now()


def test_production_refuses_a_clock_file(tmp_path: Path) -> None:
    ServiceSettings(environment="development", clock_file=tmp_path / "clock")
    with pytest.raises(ValidationError, match="CLOCK_FILE"):
        ServiceSettings(environment="production", clock_file=tmp_path / "clock")
