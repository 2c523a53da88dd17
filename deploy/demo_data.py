"""A few demo paths for `make run`, created through the services' public APIs.

Counselor `ohjaaja-demo` opens six paths in three municipalities; most clients answer their
first task. The unit, the cohort and the counselor are registered first through enrolment's
admin API, and municipalities go by their Statistics Finland codes. (`make run` adds them
after the cohort simulator's past months.)
"""

from __future__ import annotations

import time
from datetime import date, datetime
from uuid import uuid4

import httpx

from chassis.clock import HELSINKI
from deploy.identity_codes import identity_code
from deploy.system import RunningSystem

TENANT = "kanta-hame"
COUNSELOR = "ohjaaja-demo"
MUNICIPALITIES = ("061", "169", "834")  # Forssa, Jokioinen, Tammela
UNIT = "kuntouttava-tyotoiminta"
UNIT_NAME = "Kuntouttava työtoiminta"
COHORT = "demo"
ADMIN = "paakayttaja-demo"
FIRST_NAMES = ("Aino", "Eero", "Helmi", "Onni", "Siiri", "Väinö")


def demo_identity_code(number: int) -> str:
    """The identity code of demo client `number` (valid check character)."""
    return identity_code((number % 28) + 1, (number % 9) + 1, 1985, 200 + number)


def helsinki_today_now() -> date:
    """Today in Finland by the real clock (the demo's paths start in real time)."""
    return datetime.now(HELSINKI).date()


def open_path_request(
    first_name: str,
    last_name: str,
    identity_code: str,
    municipality: str,
    cohort: str,
    start_date: date,
    unit: str = UNIT,
) -> dict[str, object]:
    """The body of enrolment's POST /pathways for a client who meets all four criteria."""
    return {
        "first_name": first_name,
        "last_name": last_name,
        "personal_identity_code": identity_code,
        "municipality": municipality,
        "unit": unit,
        "cohort": cohort,
        "start_date": start_date.isoformat(),
        "suitability": {
            "life_management": True,
            "digital_skills": True,
            "self_assessment_ability": True,
            "strong_identification": True,
        },
    }


def _token(client: httpx.Client, issuer: str, **claims: object) -> dict[str, str]:
    response = client.post(f"{issuer}/dev/token", json={"tenant": TENANT, **claims})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def register_references(client: httpx.Client, system: RunningSystem) -> None:
    """The demo's unit, cohort and counselor in the tenant's registries (already there is
    fine: `make run` may seed a durable system twice)."""
    admin = _token(client, system.issuer_url, subject=ADMIN, role="admin")
    base = system.urls["enrolment"]
    for kind, code, name in (("units", UNIT, UNIT_NAME), ("cohorts", COHORT, "Demoryhmä")):
        added = client.post(
            f"{base}/registry/{kind}", json={"code": code, "name_fi": name}, headers=admin
        )
        if added.status_code != 409:
            added.raise_for_status()
    client.put(
        f"{base}/staff/{COUNSELOR}", json={"role": "counselor"}, headers=admin
    ).raise_for_status()


def seed(system: RunningSystem, paths: int = 6) -> int:
    """Open `paths` demo paths; returns how many answers were written."""
    answers = 0
    with httpx.Client(timeout=30) as client:
        register_references(client, system)
        counselor = _token(client, system.issuer_url, subject=COUNSELOR, role="counselor")
        for number in range(paths):
            code = demo_identity_code(number)
            opened = client.post(
                f"{system.urls['enrolment']}/pathways",
                headers={**counselor, "Idempotency-Key": f"demo-{number}"},
                json=open_path_request(
                    FIRST_NAMES[number % len(FIRST_NAMES)],
                    f"Demo-{number}",
                    code,
                    MUNICIPALITIES[number % len(MUNICIPALITIES)],
                    COHORT,
                    helsinki_today_now(),
                ),
            )
            opened.raise_for_status()
            if number % 3 == 2:
                continue  # not every client has started yet
            pathway_id = opened.json()["pathway_id"]
            client_headers = _token(
                client,
                system.issuer_url,
                subject=f"demo-{number}",
                role="client",
                personal_identity_code=code,
            )
            answers += _answer_first_task(client, system, pathway_id, client_headers)
    return answers


def _answer_first_task(
    client: httpx.Client, system: RunningSystem, pathway_id: str, headers: dict[str, str]
) -> int:
    for _ in range(100):  # the plan appears once tasks has consumed PathwayOpened
        plan = client.get(f"{system.urls['tasks']}/pathways/{pathway_id}/plan", headers=headers)
        if plan.status_code == 200:
            task_id = plan.json()["weeks"][0]["tasks"][0]["task_id"]
            answered = client.post(
                f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/{task_id}/answers",
                headers={**headers, "Idempotency-Key": str(uuid4())},
                json={"text": "Pidän ulkotöistä ja olen täsmällinen."},
            )
            return 1 if answered.status_code == 201 else 0
        time.sleep(0.1)
    return 0
