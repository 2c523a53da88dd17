"""Every form of the counselor's pages that creates something, double-clicked in real
Chromium and then sent once more: exactly one thing is created, and the second submission is
answered as the first was (a redirect to the saved page, not an error).

The browser may cancel the first of two quick submissions or send both; the extra send of the
very same form fields makes sure the server has seen it twice either way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

import httpx
from playwright.sync_api import Page, expect

from chassis.clock import HELSINKI
from deploy.system import RunningSystem
from tests.browser.double_submit import double_submit, read, saved
from tests.support.identities import IdentityFactory, Person
from tests.support.registries import COHORT, UNIT, register_standard
from tests.support.waiting import eventually

COUNSELOR = "ohjaaja-demo"  # the development issuer's demo counselor


def sign_in(page: Page, guidance: str) -> None:
    page.goto(guidance + "/kirjaudu")
    page.get_by_label("Outi Ohjaaja – ohjaaja").check()
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Asiakkaat")


def fill_open_path_form(page: Page, client: Person, last_name: str) -> None:
    page.get_by_label("Etunimi").fill("Tuplaklikkaus")
    page.get_by_label("Sukunimi").fill(last_name)
    assert client.identity_code is not None
    page.get_by_label("Henkilötunnus").fill(client.identity_code)
    page.get_by_label("Kunta").select_option(label="Forssa")
    page.get_by_label("Yksikkö").select_option(UNIT)
    page.get_by_label("Ryhmä (kohortti)").select_option(COHORT)
    for criterion in page.get_by_role("checkbox").all():
        criterion.check()


def test_each_creating_form_creates_one_thing_however_often_it_is_sent(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    guidance, tasks = system.urls["guidance"], system.urls["tasks"]
    counselor = identities.staff("counselor", subject=COUNSELOR)
    client = identities.client()
    last_name = f"Asiakas{uuid4().hex[:6]}"
    register_standard(system)
    sign_in(page, guidance)

    # Opening a path: the second submission is the same path, not "already has an open path".
    page.goto(guidance + "/polut/uusi")
    fill_open_path_form(page, client, last_name)
    form = page.locator("form[action='/polut/uusi']")
    double_submit(
        page, form, form.get_by_role("button", name="Avaa polku"), saved(page, "Polku avattu")
    )
    plan = eventually(
        lambda: (
            (r := httpx.get(f"{tasks}/me/plan", headers=client.headers)).status_code == 200
            and r.json()
        ),
        what="the client's plan",
    )
    pathway_id = plan["pathway_id"]
    path = f"{guidance}/pathways/{pathway_id}"
    rows = eventually(
        lambda: [
            r for r in read(f"{guidance}/caseload", counselor) if r["pathway_id"] == pathway_id
        ],
        what="the path in the caseload",
    )
    assert len(rows) == 1

    task = plan["weeks"][0]["tasks"][0]
    answered = httpx.post(
        f"{tasks}/pathways/{pathway_id}/tasks/{task['task_id']}/answers",
        json={"text": "Osaan järjestää asioita."},
        headers={**client.headers, "Idempotency-Key": str(uuid4())},
    )
    assert answered.status_code == 201, answered.text
    answer_id = answered.json()["answer_id"]
    eventually(
        lambda: any(
            r["pathway_id"] == pathway_id and r["feedback_waiting"] == 1
            for r in read(f"{guidance}/caseload", counselor)
        ),
        what="the answer in guidance",
    )
    timeline = f"{guidance}/asiakkaat/{pathway_id}"

    # Feedback on the answer.
    page.goto(timeline)
    form = page.locator(f"form[action$='/vastaukset/{answer_id}/palaute']")
    form.locator("textarea").fill("Hienoa!")
    double_submit(page, form, form.get_by_role("button"), saved(page, "Palaute tallennettu"))
    assert [item["text"] for item in read(f"{path}/feedback", counselor)["items"]] == ["Hienoa!"]

    # A new meeting: one meeting, not two.
    page.goto(timeline)
    page.get_by_text("Uusi tapaaminen").click()
    when = (datetime.now(HELSINKI) + timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    page.locator("#uusi-aika").fill(when)
    page.locator("#uusi-tapa").select_option("phone")
    form = page.locator("form:has(#uusi-aika)")
    double_submit(page, form, form.get_by_role("button"), saved(page, "Tapaaminen tallennettu"))
    meetings = read(f"{path}/meetings", counselor)["items"]
    assert [(m["state"], m["mode"]) for m in meetings] == [("scheduled", "phone")]

    # A note of the meeting.
    form = page.locator("form[action$='/muistiinpanot']")
    form.locator("textarea").fill("Sovittiin CV:n päivityksestä.")
    double_submit(page, form, form.get_by_role("button"), saved(page, "Muistiinpano tallennettu"))
    notes = read(f"{path}/meetings", counselor)["notes"]
    assert [note["text"] for note in notes] == ["Sovittiin CV:n päivityksestä."]

    # The meeting held: the second click is the same command, not "not scheduled".
    form = page.locator("form[action$='/tulos']")
    double_submit(
        page,
        form,
        form.get_by_role("button", name="Merkitse pidetyksi"),
        saved(page, "Tapaaminen tallennettu"),
    )
    assert [m["state"] for m in read(f"{path}/meetings", counselor)["items"]] == ["held"]

    # The path ends; then its outcome, recorded once.
    page.get_by_role("button", name="Merkitse polku päättyneeksi").click()
    expect(page.get_by_role("status")).to_contain_text("Polun tila päivitetty")
    eventually(
        lambda: any(
            r["pathway_id"] == pathway_id and r["ended_on"]
            for r in read(f"{guidance}/caseload", counselor)
        ),
        what="guidance has seen the path end",
    )
    page.goto(timeline)
    page.locator("#seuranta").select_option("end")
    page.locator("#tulos").select_option("employed")
    form = page.locator("form[action$='/tulokset']")
    double_submit(page, form, form.get_by_role("button"), saved(page, "Tulos kirjattu"))
    outcomes = read(f"{path}/outcomes", counselor)["items"]
    assert [(o["follow_up"], o["outcome"]) for o in outcomes] == [("end", "employed")]
