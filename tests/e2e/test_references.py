"""A path names only what the tenant's registries hold (issue 11, item 5): a municipality of
the tenant's own by its official code, a registered unit and cohort, and known counselors.
Typed text never gets as far as an event."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest

from deploy.system import RunningSystem
from tests.support.api import open_path, open_path_body
from tests.support.identities import IdentityFactory, Person
from tests.support.registries import register


@pytest.fixture(scope="module")
def counselor(system: RunningSystem, identities: IdentityFactory) -> Person:
    person = identities.staff("counselor")
    register(system, counselors=[person.subject])
    return person


def opening(
    system: RunningSystem,
    counselor: Person,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=body,
        headers={**counselor.headers, "Idempotency-Key": str(uuid4()), **(headers or {})},
        timeout=10,
    )


def refused_field(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.text


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("municipality", "Forssa"),  # a name, not Statistics Finland's code
        ("unit", "Kuntouttava työtoiminta Forssa"),
        ("cohort", "131052-308T"),  # an identity code typed into the cohort
        ("cohort", "Syksy 2026"),
    ],
)
def test_typed_text_is_refused_before_anything_is_stored(
    system: RunningSystem, identities: IdentityFactory, counselor: Person, field: str, typed: str
) -> None:
    response = opening(system, counselor, open_path_body(identities.client(), **{field: typed}))
    assert field in refused_field(response)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("municipality", "837", "enrolment.unknown_municipality"),  # Tampere: Pirkanmaa's
        ("municipality", "999", "enrolment.unknown_municipality"),
        ("unit", "ei-tallaista", "enrolment.unknown_unit"),
        ("cohort", "ei-tallaista", "enrolment.unknown_cohort"),
        ("counselor_ids", ["tuntematon-ohjaaja"], "enrolment.unknown_counselor_id"),
    ],
)
def test_an_unknown_reference_is_refused_naming_its_field(
    system: RunningSystem,
    identities: IdentityFactory,
    counselor: Person,
    field: str,
    value: str | list[str],
    code: str,
) -> None:
    response = opening(system, counselor, open_path_body(identities.client(), **{field: value}))
    refused_field(response)
    problem = response.json()
    assert problem["code"] == code, problem
    named = value if isinstance(value, str) else value[0]
    assert named in problem["detail"]
    swedish = opening(
        system,
        counselor,
        open_path_body(identities.client(), **{field: value}),
        {"Accept-Language": "sv"},
    )
    assert swedish.status_code == 422
    assert swedish.json()["detail"] != problem["detail"]


def test_a_manager_is_no_counselor_and_a_stranger_cannot_be_added(
    system: RunningSystem, identities: IdentityFactory, counselor: Person
) -> None:
    manager = identities.staff("manager")
    admin = identities.staff("admin")
    httpx.put(
        f"{system.urls['enrolment']}/staff/{manager.subject}",
        json={"role": "manager"},
        headers=admin.headers,
        timeout=10,
    ).raise_for_status()
    as_counselor = opening(
        system, counselor, open_path_body(identities.client(), counselor_ids=[manager.subject])
    )
    assert as_counselor.json()["code"] == "enrolment.not_a_counselor", as_counselor.text

    pathway_id = open_path(system, counselor, identities.client())
    stranger = httpx.post(
        f"{system.urls['enrolment']}/pathways/{pathway_id}/counselors",
        json={"counselor_id": "ei-henkilostoa"},
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert stranger.status_code == 422, stranger.text
    assert stranger.json()["code"] == "enrolment.unknown_counselor_id"
    known = identities.staff("counselor")
    register(system, counselors=[known.subject])
    added = httpx.post(
        f"{system.urls['enrolment']}/pathways/{pathway_id}/counselors",
        json={"counselor_id": known.subject},
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert added.status_code == 200, added.text


def test_a_retired_cohort_takes_no_new_paths(
    system: RunningSystem, identities: IdentityFactory, counselor: Person
) -> None:
    cohort = f"vanha-{uuid4().hex[:6]}"
    register(system, cohorts=[cohort])
    assert opening(system, counselor, open_path_body(identities.client(), cohort=cohort)).is_success
    admin = identities.staff("admin")
    httpx.post(
        f"{system.urls['enrolment']}/registry/cohorts/{cohort}/retire",
        headers=admin.headers,
        timeout=10,
    ).raise_for_status()
    late = opening(system, counselor, open_path_body(identities.client(), cohort=cohort))
    assert late.status_code == 422, late.text
    assert late.json()["code"] == "enrolment.retired_cohort"
