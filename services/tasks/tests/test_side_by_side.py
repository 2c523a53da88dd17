"""The counselor's view of the self-assessments: both phases per area, as given so far."""

from __future__ import annotations

from services.tasks.adapters.instrument_files import PRIMARY_INSTRUMENT, load_instruments
from services.tasks.domain.self_assessment import side_by_side


def test_areas_show_the_mean_of_each_phase_given_and_none_for_the_rest() -> None:
    instrument = load_instruments()[PRIMARY_INSTRUMENT]
    first = instrument.areas[0]
    baseline = dict.fromkeys(instrument.item_ids, 1)
    baseline[first.items[0].item_id] = 3  # one high answer raises only its own area's mean
    rows = side_by_side(instrument, baseline, None)
    assert [row.area.area_id for row in rows] == [area.area_id for area in instrument.areas]
    assert rows[0].baseline == (3 + 1 * (len(first.items) - 1)) / len(first.items)
    assert all(row.baseline == 1 for row in rows[1:])
    assert all(row.final is None for row in rows)
    final = dict.fromkeys(instrument.item_ids, 2)
    assert all(row.final == 2 for row in side_by_side(instrument, baseline, final))
