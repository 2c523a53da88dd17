"""The dashboard's municipality filter: the tenant's own municipalities by official code,
named in Finnish and Swedish."""

from __future__ import annotations

from services.reporting.web.dashboard_pages import municipality_choices


def test_the_tenant_chooses_among_its_own_municipalities_by_code() -> None:
    choices = municipality_choices("kanta-hame", None)
    assert len(choices) == 11
    assert {"code": "109", "name": {"fi": "Hämeenlinna", "sv": "Tavastehus"}} in choices
    assert "837" not in {c["code"] for c in choices}  # Tampere is Pirkanmaa's


def test_a_chosen_value_that_is_no_code_of_theirs_stays_visible() -> None:
    choices = municipality_choices("kanta-hame", "Forssa")
    assert choices[-1] == {"code": "Forssa", "name": {"fi": "Forssa", "sv": "Forssa"}}
    assert len(municipality_choices("kanta-hame", "061")) == 11
