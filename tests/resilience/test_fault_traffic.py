"""The fault run's traffic never brings the same person twice: rounds draw their people
independently, and a repeated identity code was refused its second path (409, rightly)."""

from __future__ import annotations

from datetime import date

from stdnum.fi import hetu

from faults.traffic import unique_people
from simulator.population import PopulationSpec
from simulator.run import population


def test_a_person_drawn_again_in_a_later_round_gets_another_identity() -> None:
    spec = PopulationSpec(end=date(2025, 11, 20), seed=2026029, clients_per_group=3)
    used: set[str] = set()
    first = unique_people(population(spec), used, spec.seed)
    again = unique_people(population(spec), used, spec.seed + 1)  # every code drawn before
    codes = [client.identity_code for client in first + again]
    assert len(set(codes)) == len(codes)
    assert all(hetu.is_valid(code) for code in codes)
    # Nothing else about the person changes, and the same draw gives the same people.
    assert [c.number for c in again] == [c.number for c in first]
    assert unique_people(population(spec), set(), spec.seed) == first
