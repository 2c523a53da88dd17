"""The municipality register: official codes, both languages, each in one wellbeing area."""

from __future__ import annotations

from contracts.reference.municipalities import MUNICIPALITY_CODE, register

KANTA_HAME = {
    "061": "Forssa",
    "082": "Hattula",
    "086": "Hausjärvi",
    "103": "Humppila",
    "109": "Hämeenlinna",
    "165": "Janakkala",
    "169": "Jokioinen",
    "433": "Loppi",
    "694": "Riihimäki",
    "834": "Tammela",
    "981": "Ypäjä",
}


def test_the_register_states_its_source_and_year() -> None:
    found = register()
    assert "Statistics Finland" in found.source
    assert found.year == 2025


def test_every_municipality_has_a_three_digit_code_two_names_and_a_known_area() -> None:
    found = register()
    for code, municipality in found.municipalities.items():
        assert MUNICIPALITY_CODE.fullmatch(code), code
        assert municipality.code == code
        assert municipality.fi and municipality.sv, code
        assert municipality.area in found.areas, code


def test_kanta_hame_has_its_eleven_municipalities_by_official_code() -> None:
    mine = register().of_tenant("kanta-hame")
    assert {m.code: m.fi for m in mine} == KANTA_HAME
    assert register().name("109", "sv") == "Tavastehus"


def test_pirkanmaa_has_its_twenty_three() -> None:
    mine = register().of_tenant("pirkanmaa")
    assert len(mine) == 23
    assert register().name("837", "sv") == "Tammerfors"


def test_a_tenant_accepts_only_its_own_municipalities() -> None:
    found = register()
    assert found.belongs_to("061", "kanta-hame")
    assert not found.belongs_to("837", "kanta-hame")
    assert found.belongs_to("837", "pirkanmaa")
    assert not found.belongs_to("Forssa", "kanta-hame")
    assert not found.belongs_to("061", "no-such-tenant")
    assert found.of_tenant("no-such-tenant") == []


def test_an_unknown_code_shows_as_itself() -> None:
    assert register().name("Forssa") == "Forssa"
    assert register().name("999", "sv") == "999"
