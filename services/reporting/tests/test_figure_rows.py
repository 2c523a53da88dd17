"""Figures as chart bars and CSV rows: hidden stays hidden, bars scale to the largest value."""

from __future__ import annotations

from services.reporting.domain.published import HIDDEN, NOTHING, Figure
from services.reporting.web.figure_rows import bars


def test_bars_scale_to_the_largest_shown_value_and_hidden_ones_get_no_length() -> None:
    rows = bars([("a", Figure(20, False)), ("b", Figure(5, False)), ("c", HIDDEN), ("d", NOTHING)])
    assert [(r.label_key, r.share) for r in rows] == [
        ("a", 1.0),
        ("b", 0.25),
        ("c", 0.0),
        ("d", 0.0),
    ]
    assert rows[2].figure.suppressed and rows[2].figure.value is None


def test_bars_of_nothing_but_hidden_figures_do_not_divide_by_zero() -> None:
    assert [r.share for r in bars([("a", HIDDEN), ("b", Figure(0, False))])] == [0.0, 0.0]
