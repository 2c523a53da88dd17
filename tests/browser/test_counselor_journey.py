"""A counselor's day in real Chromium: sign in, open a path, see the client's answer appear in
the caseload without reloading, give feedback (the client sees it), hold a meeting, end the
path and record its outcome; axe-core and the keyboard check on every page."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

import httpx
from playwright.sync_api import Page, expect

from chassis.clock import HELSINKI
from deploy.system import RunningSystem
from tests.browser.conftest import PageChecks
from tests.support.api import open_path_body, wait_for_plan
from tests.support.identities import IdentityFactory
from tests.support.registries import COHORT, UNIT, register_standard
from tests.support.waiting import eventually

COUNSELOR = "ohjaaja-demo"  # the development issuer's demo counselor


def test_counselor_opens_follows_gives_feedback_holds_a_meeting_and_records_an_outcome(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    checks = PageChecks("counselor")
    register_standard(system)
    client = identities.client()
    first, last = "Aino", f"Asiakas{uuid4().hex[:6]}"
    guidance = system.urls["guidance"]

    page.goto(guidance + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ohjaajan työtila")
    checks.check(page, "landing")
    page.get_by_role("link", name="Kirjaudu sisään").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kirjaudu henkilöstönä")
    checks.check(page, "issuer-staff")
    page.get_by_label("Outi Ohjaaja – ohjaaja").check()
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Asiakkaat")
    checks.check(page, "caseload")
    page.get_by_role("link", name="På svenska").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Klienter")
    checks.check(page, "caseload-swedish")
    page.get_by_role("link", name="Suomeksi").click()

    # Opening a path: a missing criterion is refused in Finnish, and nothing typed is lost.
    page.get_by_role("link", name="Avaa polku").click()
    page.get_by_label("Etunimi").fill(first)
    page.get_by_label("Sukunimi").fill(last)
    assert client.identity_code is not None
    page.get_by_label("Henkilötunnus").fill(client.identity_code)
    # Chosen from the tenant's registries (decision 0015), which the form offers.
    page.get_by_label("Kunta").select_option(label="Forssa")
    page.get_by_label("Yksikkö").select_option(UNIT)
    page.get_by_label("Ryhmä (kohortti)").select_option(COHORT)
    page.get_by_role("button", name="Avaa polku").click()
    expect(page.get_by_role("alert")).to_contain_text("soveltuvuusehtoa")
    expect(page.get_by_label("Sukunimi")).to_have_value(last)
    checks.check(page, "open-path-refused")
    for criterion in page.get_by_role("checkbox").all():
        criterion.check()
    page.get_by_role("button", name="Avaa polku").click()
    expect(page.get_by_role("status")).to_contain_text("Polku avattu")

    # The new client and then their answer appear without reloading the page.
    client_link = page.get_by_role("link", name=f"{first} {last}")
    expect(client_link).to_be_visible(timeout=30_000)
    plan = wait_for_plan(system, client)
    task = plan["weeks"][0]["tasks"][0]
    answered = httpx.post(
        f"{system.urls['tasks']}/pathways/{plan['pathway_id']}/tasks/{task['task_id']}/answers",
        json={"text": "Olen hyvä järjestämään asioita."},
        headers={**client.headers, "Idempotency-Key": str(uuid4())},
    )
    assert answered.status_code == 201, answered.text
    row = page.get_by_role("row").filter(has=client_link)
    expect(row).to_contain_text("Odottaa palautetta: 1", timeout=30_000)
    checks.check(page, "caseload-answer-waiting")

    # The timeline: feedback on the answer, which the client then sees.
    client_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{first} {last}")
    checks.check(page, "timeline")
    page.get_by_label("Palautteesi asiakkaalle").fill("Hienoa, tämä on tärkeä taito!")
    page.get_by_role("button", name="Anna palaute").click()
    expect(page.get_by_role("status")).to_contain_text("Palaute tallennettu")
    checks.check(page, "feedback-given")
    seen = httpx.get(
        f"{guidance}/pathways/{plan['pathway_id']}/feedback", headers=client.headers
    ).json()["items"]
    assert [item["text"] for item in seen] == ["Hienoa, tämä on tärkeä taito!"]

    # A meeting: scheduled, then held.
    page.get_by_text("Uusi tapaaminen").click()
    when = (datetime.now(HELSINKI) + timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    page.locator("#uusi-aika").fill(when)
    page.locator("#uusi-tapa").select_option("phone")
    page.locator("form:has(#uusi-aika)").get_by_role("button", name="Sovi tapaaminen").click()
    expect(page.get_by_role("status")).to_contain_text("Tapaaminen tallennettu")
    page.get_by_role("button", name="Merkitse pidetyksi").click()
    expect(page.locator("#tapaamiset + .card")).to_contain_text("Pidetty")
    page.get_by_label("Lyhyt muistiinpano tapaamisesta").fill("Sovittiin CV:n päivityksestä.")
    page.get_by_role("button", name="Tallenna muistiinpano").click()
    expect(page.get_by_role("status")).to_contain_text("Muistiinpano tallennettu")
    expect(page.locator("#tapaamiset + .card")).to_contain_text("Sovittiin CV:n päivityksestä.")
    checks.check(page, "meeting-held")

    # The path ends, and its outcome is recorded once guidance knows it ended.
    page.get_by_role("button", name="Merkitse polku päättyneeksi").click()
    expect(page.get_by_role("status")).to_contain_text("Polun tila päivitetty")
    counselor = identities.staff("counselor", subject=COUNSELOR)

    def ended_in_caseload() -> bool:
        rows = httpx.get(f"{guidance}/caseload", headers=counselor.headers).json()
        return any(r["pathway_id"] == plan["pathway_id"] and r["ended_on"] for r in rows)

    eventually(ended_in_caseload, what="guidance has seen the path end")
    page.locator("#seuranta").select_option("end")
    page.locator("#tulos").select_option("employed")
    page.get_by_role("button", name="Kirjaa tulos").click()
    expect(page.get_by_role("status")).to_contain_text("Tulos kirjattu")
    expect(page.get_by_text("Polun lopussa: Työllistynyt")).to_be_visible()
    checks.check(page, "outcome-recorded")
    assert len(checks.pages) >= 9


def test_a_manager_is_shown_the_reports_instead_of_clients(
    page: Page, system: RunningSystem
) -> None:
    checks = PageChecks("manager")
    page.goto(system.urls["guidance"] + "/kirjaudu")
    page.get_by_label("Maija Mäkelä – esihenkilö").check()
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page.get_by_role("alert")).to_contain_text("Esihenkilönä näet koosteet")
    checks.check(page, "refused")


def test_an_admin_sees_who_read_a_client_and_erases_the_client(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    checks = PageChecks("admin")
    counselor = identities.staff("counselor")
    client = identities.client()
    opened = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(client, first_name="Eero", last_name="Esimerkki"),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert opened.status_code == 201, opened.text
    pathway_id = opened.json()["pathway_id"]
    wait_for_plan(system, client)
    # The counselor reads the client's answers: that read is what the admin will see.
    answers = f"{system.urls['tasks']}/pathways/{pathway_id}/answers"
    assert httpx.get(answers, headers=counselor.headers).status_code == 200
    admin = identities.staff("admin", subject="paakayttaja-demo")
    eventually(
        lambda: (
            httpx.get(
                f"{system.urls['guidance']}/pathways/{pathway_id}/meetings", headers=admin.headers
            ).status_code
            == 200
        ),
        what="guidance knows the path",
    )

    page.goto(system.urls["guidance"] + "/kirjaudu")
    page.get_by_label("Antti Aalto – pääkäyttäjä").check()
    page.get_by_role("button", name="Kirjaudu").click()
    page.goto(f"{system.urls['guidance']}/asiakkaat/{pathway_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Eero Esimerkki")
    expect(page).to_have_title("Asiakkaan polku – Digipolku ohjaajan työtila")
    log = page.get_by_role("table", name="Kuka on katsonut asiakkaan tietoja")
    expect(log).to_contain_text(f"{counselor.subject} (counselor)")
    expect(log).to_contain_text("answers")
    checks.check(page, "timeline-with-access-log")

    page.get_by_label("Poiston peruste").select_option("client_request")
    page.get_by_role("button", name="Poista asiakkaan tiedot").click()
    expect(page.get_by_role("status")).to_contain_text("poistettu kaikista palveluista")
    checks.check(page, "erased")
    path = httpx.get(f"{system.urls['enrolment']}/pathways/{pathway_id}", headers=admin.headers)
    assert path.json()["erased"] is True and path.json()["first_name"] is None
