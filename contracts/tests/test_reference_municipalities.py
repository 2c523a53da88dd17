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


# Municipalities per organiser (2023 on): the 2021 moves (Iitti to Päijät-Häme, Kuhmoinen to
# Pirkanmaa, Heinävesi to Pohjois-Karjala, Joroinen to Pohjois-Savo, Isokyrö to
# Etelä-Pohjanmaa) and Honkajoki's merger into Kankaanpää included.
COUNTS = {
    "ita-uusimaa": 7,
    "keski-uusimaa": 6,
    "lansi-uusimaa": 10,
    "vantaa-kerava": 2,
    "helsinki": 1,
    "varsinais-suomi": 27,
    "satakunta": 16,
    "kanta-hame": 11,
    "pirkanmaa": 23,
    "paijat-hame": 10,
    "kymenlaakso": 6,
    "etela-karjala": 9,
    "etela-savo": 12,
    "pohjois-savo": 19,
    "pohjois-karjala": 13,
    "keski-suomi": 22,
    "etela-pohjanmaa": 18,
    "pohjanmaa": 14,
    "keski-pohjanmaa": 8,
    "pohjois-pohjanmaa": 30,
    "kainuu": 8,
    "lappi": 21,
}


def test_twenty_two_organisers_each_with_its_known_number_of_municipalities() -> None:
    found = register()
    assert len(found.areas) == 22
    assert sorted(found.tenants()) == sorted(COUNTS)
    assert {tenant: len(found.of_tenant(tenant)) for tenant in COUNTS} == COUNTS
    uusimaa = ("helsinki", "vantaa-kerava", "ita-uusimaa", "keski-uusimaa", "lansi-uusimaa")
    assert sum(COUNTS[tenant] for tenant in uusimaa) == 26


def test_every_mainland_municipality_once_and_aland_in_no_area() -> None:
    found = register()
    assert len(found.municipalities) == 293
    assert len(found.outside_areas) == 16
    outside = {m.code for m in found.outside_areas}
    assert not outside & set(found.municipalities)
    assert all(MUNICIPALITY_CODE.fullmatch(code) for code in outside)
    assert "478" in outside  # Maarianhamina – Mariehamn
    assert not any(found.belongs_to("478", tenant) for tenant in found.tenants())
    assert "not verified" in found.verified.lower()


def test_bilingual_names_of_the_capital_region() -> None:
    found = register()
    assert (found.name("091"), found.name("091", "sv")) == ("Helsinki", "Helsingfors")
    assert found.name("049", "sv") == "Esbo"
    assert found.name("092", "sv") == "Vanda"
    assert found.belongs_to("245", "vantaa-kerava")
    assert found.belongs_to("142", "paijat-hame")  # Iitti, moved in 2021
