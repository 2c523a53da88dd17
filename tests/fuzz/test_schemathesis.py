"""Schemathesis against every service's OpenAPI document, as every kind of caller.

On the fuzz tests' own system (see conftest), with one path opened first so that reads and
the stateful phase reach real data. Every run must end with no server error and no
violation of the document: status codes, content types, response schemas and response
headers as declared.
"""

from __future__ import annotations

import pytest

from deploy.system import RunningSystem
from tests.fuzz.fuzzing import REPORTS, run_schemathesis
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory

ROLES = ("anonymous", "client", "counselor", "manager", "admin")
# Enrolment last: its admin run erases clients, the seeded one among them perhaps.
SERVICES = ("tasks", "guidance", "reporting", "enrolment")
# A client whose path is not open yet meets other answers where clients are served.
NEWCOMER_SERVICES = ("tasks", "guidance")
RUNS = [
    (service, role)
    for service in SERVICES
    for role in (*ROLES, *(("newcomer",) if service in NEWCOMER_SERVICES else ()))
]


@pytest.fixture(scope="module")
def callers(fuzz_system: RunningSystem) -> dict[str, dict[str, str]]:
    """Each caller's headers; the client has a path, which the counselor follows; the
    newcomer is a client without one."""
    people = IdentityFactory(fuzz_system.issuer_url)
    client = people.client()
    counselor = people.staff("counselor")
    open_path(fuzz_system, counselor, client)
    wait_for_plan(fuzz_system, client)
    return {
        "anonymous": {},
        "client": client.headers,
        "newcomer": people.client().headers,
        "counselor": counselor.headers,
        "manager": people.staff("manager").headers,
        "admin": people.staff("admin").headers,
    }


@pytest.mark.parametrize(("service", "role"), RUNS, ids=[f"{s}-{r}" for s, r in RUNS])
def test_the_service_keeps_to_its_openapi_document(
    fuzz_system: RunningSystem, callers: dict[str, dict[str, str]], service: str, role: str
) -> None:
    report = run_schemathesis(fuzz_system.urls[service], service, role, callers[role])
    REPORTS.append(report)
    assert report.requests > 0 and report.operations, "schemathesis sent nothing"
    found = "\n".join(finding.line() for finding in report.distinct())
    assert not report.errors, report.errors
    assert not report.findings, f"{len(report.findings)} failed checks:\n{found}"
