from __future__ import annotations

from services.guidance.domain.caseload import current_week


def test_current_week_is_the_latest_recorded_opening_within_twelve() -> None:
    assert current_week(0) == 0
    assert current_week(5) == 5
    assert current_week(13) == 12
