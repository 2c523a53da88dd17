from __future__ import annotations

from datetime import date, timedelta

from services.guidance.domain.caseload import current_week

START = date(2026, 11, 30)


def test_current_week_follows_the_calendar_and_early_openings() -> None:
    assert current_week(None, 0, START) == 0
    assert current_week(START, 0, START - timedelta(days=1)) == 0
    assert current_week(START, 0, START) == 1
    assert current_week(START, 0, START + timedelta(days=14)) == 3
    assert current_week(START, 5, START) == 5
    assert current_week(START, 0, START + timedelta(days=365)) == 12
