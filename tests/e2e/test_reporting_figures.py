"""Managers' figures over HTTP: paths opened, answered and given a direction show in the
funnel and the direction split, each count moved by its cell's noise (decision 0031); a small
group's shares are not shown; counselors and clients are refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

import httpx

from deploy.system import RunningSystem
from tests.support.api import open_path_body, wait_for_plan
from tests.support.figures import HIDDEN, NOTHING, count_of, counted, shown
from tests.support.identities import IdentityFactory, Person
from tests.support.registries import register
from tests.support.waiting import eventually


def open_in_cohort(system: RunningSystem, counselor: Person, client: Person, cohort: str) -> str:
    register(system, cohorts=[cohort])
    response = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(client, cohort=cohort),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["pathway_id"])


def test_funnel_and_direction_split_follow_the_paths(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    manager, counselor = identities.staff("manager"), identities.staff("counselor")
    tasks, reporting = system.urls["tasks"], system.urls["reporting"]
    cohort, small = f"raportti-{uuid4().hex[:8]}", f"pieni-{uuid4().hex[:8]}"

    def figures(**params: str) -> dict[str, Any]:
        response = httpx.get(f"{reporting}/figures", params=params, headers=manager.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def eventually_figures(what: str, **expected: dict[str, Any]) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            found = figures(cohort=cohort)
            ok = all(
                found[section] | values == found[section] for section, values in expected.items()
            )
            return found if ok else None

        return eventually(probe, timeout=60, what=what)

    before = figures(cohort=cohort)
    assert before["funnel"]["opened"] == shown(0)
    assert before["filters"]["cohort"] == cohort

    # Ten paths; each client answers a task of week 1.
    clients = [identities.client() for _ in range(10)]
    pathway_ids = [open_in_cohort(system, counselor, client, cohort) for client in clients]
    for client, pathway_id in zip(clients, pathway_ids, strict=True):
        task = wait_for_plan(system, client)["weeks"][0]["tasks"][0]["task_id"]
        answered = httpx.post(
            f"{tasks}/pathways/{pathway_id}/tasks/{task}/answers",
            json={"text": "Pidän ihmisten kanssa toimimisesta."},
            headers={**client.headers, "Idempotency-Key": str(uuid4())},
        )
        assert answered.status_code == 201, answered.text
    started = eventually_figures(
        "ten paths opened and started",
        funnel={
            "opened": counted(pathway_ids),
            "started": counted(pathway_ids),
            "reached_week_5": shown(0),
        },
        direction={"work": shown(0), "education": shown(0)},
    )
    assert started["status"]["active"] == counted(pathway_ids)
    assert started["as_of"] is not None

    # Weeks 2–5 open for everyone; five choose work.
    for pathway_id in pathway_ids:
        for _ in range(4):
            opened = httpx.post(
                f"{tasks}/pathways/{pathway_id}/weeks/open-next", headers=counselor.headers
            )
            assert opened.status_code == 200, opened.text

    def choose(client: Person, pathway_id: str, direction: str) -> None:
        chosen = httpx.post(
            f"{tasks}/pathways/{pathway_id}/direction",
            json={"direction": direction, "reason": "Tämä tuntuu oikealta."},
            headers=client.headers,
        )
        assert chosen.status_code == 201, chosen.text

    work, education = pathway_ids[:5], pathway_ids[5:]
    for client, pathway_id in list(zip(clients, pathway_ids, strict=True))[:5]:
        choose(client, pathway_id, "work")
    half = eventually_figures(
        "five chose work",
        funnel={"reached_week_5": counted(pathway_ids), "direction_chosen": counted(work)},
        direction={"work": counted(work), "education": shown(0)},
    )
    for client, pathway_id in list(zip(clients, pathway_ids, strict=True))[5:]:
        choose(client, pathway_id, "education")
    everyone = eventually_figures(
        "five more chose education",
        funnel={"direction_chosen": counted(pathway_ids), "completed": shown(0)},
        direction={"work": counted(work), "education": counted(education)},
    )
    assert datetime.fromisoformat(everyone["as_of"]) >= datetime.fromisoformat(half["as_of"])

    # A cohort of three beside the big one: counted with its noise; shares on so few paths
    # are not shown.
    few = [
        open_in_cohort(system, counselor, client, small)
        for client in [identities.client() for _ in range(3)]
    ]

    def compared() -> dict[str, Any] | None:
        response = httpx.get(
            f"{reporting}/figures/compare",
            params={"a.cohort": cohort, "b.cohort": small},
            headers=manager.headers,
        )
        assert response.status_code == 200, response.text
        body = dict(response.json())
        return body if body["b"]["funnel"]["opened"] == counted(few) else None

    side_by_side = eventually(compared, timeout=60, what="the small cohort in reporting")
    assert side_by_side["a"]["funnel"] == everyone["funnel"]
    assert side_by_side["a"]["filters"]["cohort"] == cohort
    per_client = side_by_side["b"]["guidance"]["requested"]["mean_per_client"]
    # Three paths may be published as none at all (the noise reaches -3 now and then), and
    # a mean over no paths is nothing to compute rather than hidden.
    published = count_of(few)
    assert per_client == (NOTHING if published == 0 else HIDDEN if published < 5 else shown(0.0))
    assert abs(count_of(few) - 3) <= 2


def test_only_managers_and_admins_see_figures(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    reporting = system.urls["reporting"]
    for person in (identities.staff("counselor"), identities.client()):
        for path in ("/figures", "/figures/compare"):
            assert httpx.get(f"{reporting}{path}", headers=person.headers).status_code == 403
    admin = identities.staff("admin")
    assert httpx.get(f"{reporting}/figures", headers=admin.headers).status_code == 200
    reversed_period = httpx.get(
        f"{reporting}/figures",
        params={"from": "2026-02-01", "to": "2026-01-01"},
        headers={**admin.headers, "Accept-Language": "sv"},
    )
    assert reversed_period.status_code == 422
    assert "Periodens första dag" in reversed_period.json()["detail"]
    # Groups come from a fixed space (decision 0031): one place, one time, whole periods.
    for params, said in (
        ({"from": "2026-01-01", "to": "2026-06-30"}, "kokonainen kuukausi"),
        ({"municipality": "061", "unit": "Työpaja"}, "joko kunta tai yksikkö"),
        ({"a.cohort": "k", "a.period": "2026-Q1"}, "joko ryhmä tai ajanjakso"),
    ):
        path = "/figures/compare" if "a.cohort" in params else "/figures"
        refused = httpx.get(f"{reporting}{path}", params=params, headers=admin.headers)
        assert refused.status_code == 422, (params, refused.text)
        assert said in refused.json()["detail"], refused.text
    quarter = httpx.get(f"{reporting}/figures", params={"period": "2026-Q1"}, headers=admin.headers)
    assert quarter.status_code == 200
    echo = quarter.json()["filters"]
    assert (echo["to"], echo["period"]) == ("2026-03-31", "2026-Q1")
