"""The registry rules without a database: code shapes, what a new path may name, and that
every text these rules can raise exists in Finnish and Swedish."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from chassis.errors import DomainError
from chassis.i18n import Catalogue
from services.enrolment.application.references import check_municipality
from services.enrolment.domain.registry import (
    CodeLooksLikeIdentityCode,
    NotACounselor,
    RegistryEntry,
    RegistryEntryExists,
    RegistryEntryMissing,
    RetiredReference,
    StaffMember,
    UnknownReference,
    check_counselor,
    check_entry,
    check_new_code,
    is_registry_code,
)

CATALOGUE = Catalogue.load(Path(__file__).resolve().parent.parent / "translations")
UNIT = RegistryEntry("unit", "forssa-ktt", "Kuntouttava työtoiminta Forssa", None, None)


@pytest.mark.parametrize("code", ["forssa-ktt", "2026-syksy", "a", "x" * 40])
def test_short_slugs_are_codes(code: str) -> None:
    assert is_registry_code(code)


@pytest.mark.parametrize(
    "code", ["", "-alku", "Forssa", "kuntouttava työtoiminta", "x" * 41, "a_b", "ä", "a\n"]
)
def test_names_and_odd_text_are_not_codes(code: str) -> None:
    assert not is_registry_code(code)


@pytest.mark.parametrize("code", ["131052-308t", "ryhma-131052a308t", "010199u123a"])
def test_a_code_shaped_like_an_identity_code_is_refused(code: str) -> None:
    with pytest.raises(CodeLooksLikeIdentityCode):
        check_new_code(code)


def test_an_ordinary_code_is_accepted() -> None:
    check_new_code("2026-syksy")


def test_a_path_may_name_only_an_active_entry() -> None:
    check_entry("unit", "unit", "forssa-ktt", UNIT)
    with pytest.raises(UnknownReference) as unknown:
        check_entry("unit", "unit", "nowhere", None)
    assert (unknown.value.status, unknown.value.code) == (422, "enrolment.unknown_unit")
    assert unknown.value.params == {"field": "unit", "value": "nowhere"}
    retired = RegistryEntry("unit", "old", "Vanha", None, datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(RetiredReference):
        check_entry("unit", "unit", "old", retired)


def test_a_counselor_is_a_known_active_counselor() -> None:
    check_counselor("kaisa", StaffMember("kaisa", "counselor", None, True, "token"))
    with pytest.raises(UnknownReference) as unknown:
        check_counselor("nobody", None)
    assert unknown.value.code == "enrolment.unknown_counselor_id"
    with pytest.raises(NotACounselor):
        check_counselor("boss", StaffMember("boss", "manager", None, True, "admin"))
    with pytest.raises(NotACounselor):
        check_counselor("left", StaffMember("left", "counselor", None, False, "admin"))


def test_a_municipality_must_be_the_tenants_own() -> None:
    check_municipality("kanta-hame", "061")
    for wrong in ("837", "Forssa", "000"):
        with pytest.raises(UnknownReference) as unknown:
            check_municipality("kanta-hame", wrong)
        assert unknown.value.params["field"] == "municipality"


def raised() -> list[DomainError]:
    errors: list[DomainError] = [
        UnknownReference(field, "x") for field in ("municipality", "unit", "cohort", "counselor_id")
    ]
    errors += [RetiredReference(field, "x") for field in ("unit", "cohort")]
    errors += [NotACounselor("x"), CodeLooksLikeIdentityCode("x")]
    for kind in ("unit", "cohort"):
        errors += [RegistryEntryExists(kind, "x"), RegistryEntryMissing(kind, "x")]
    return errors


@pytest.mark.parametrize("error", raised(), ids=lambda error: error.code)
def test_every_refusal_has_finnish_and_swedish_text(error: DomainError) -> None:
    for lang in ("fi", "sv"):
        assert error.code in CATALOGUE.keys(lang)
        text = CATALOGUE.text(error.code, lang, **error.params)
        assert "{" not in text, text
