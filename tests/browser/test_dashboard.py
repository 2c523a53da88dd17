"""The managers' dashboard in real Chromium: sign in, filter to one municipality, export CSV,
compare two cohorts, follow the trend and print, each page checked by axe."""

from __future__ import annotations

import csv
import io
from uuid import uuid4

import httpx
from playwright.sync_api import Page, expect

from deploy.system import RunningSystem
from tests.browser.conftest import PageChecks
from tests.support.api import open_path_body
from tests.support.figures import count_of
from tests.support.identities import IdentityFactory
from tests.support.registries import register
from tests.support.waiting import eventually


def test_a_manager_filters_to_one_municipality_and_downloads_the_figures(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    checks = PageChecks("dashboard")
    counselor = identities.staff("counselor")
    cohort = f"kojelauta-{uuid4().hex[:6]}"  # its own cohorts: other tests' paths stay out
    other = f"verrokki-{uuid4().hex[:6]}"
    register(system, cohorts=[cohort, other])
    pathway_ids: list[str] = []
    others: list[str] = []
    for group, ids in ((cohort, pathway_ids), (other, others)):
        for _ in range(6):
            opened = httpx.post(
                f"{system.urls['enrolment']}/pathways",
                json=open_path_body(identities.client(), cohort=group),
                headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
            )
            assert opened.status_code == 201, opened.text
            ids.append(opened.json()["pathway_id"])
    # Six paths, published with their cell's noise (decision 0031).
    six = count_of(pathway_ids)
    manager = identities.staff("manager")

    def six_opened() -> bool:
        figures = httpx.get(
            f"{system.urls['reporting']}/figures",
            params={"municipality": "061", "cohort": cohort},
            headers=manager.headers,
        ).json()
        return bool(figures["funnel"]["opened"]["value"] == six)

    eventually(six_opened, what="reporting has the six paths")

    page.goto(system.urls["reporting"] + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Digipolun vaikuttavuus")
    checks.check(page, "landing")
    page.get_by_role("link", name="Kirjaudu sisään").click()
    page.get_by_label("Maija Mäkelä – esihenkilö").check()
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Digipolun vaikuttavuus")
    checks.check(page, "all-municipalities")

    # Municipalities are chosen by name; the filter carries Statistics Finland's code.
    page.get_by_label("Kunta").select_option(label="Forssa")
    page.get_by_label("Ryhmä", exact=True).select_option(cohort)
    page.get_by_role("button", name="Näytä").click()
    funnel = page.get_by_role("figure", name="Polun eteneminen")
    expect(funnel.get_by_role("row", name="Avattu")).to_contain_text(str(six))
    # No one has answered yet: "started" is an empty cell, so exactly zero.
    expect(funnel.get_by_role("row", name="Aloittanut")).to_contain_text("0")
    expect(page.get_by_text("Luvut ±2")).to_be_visible()
    checks.check(page, "one-municipality")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Lataa luvut (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "digipolku-luvut.csv"
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    by_name = {row["figure"]: row for row in rows}
    assert by_name["funnel.opened"]["value"] == str(six)
    assert by_name["funnel.opened"]["suppressed"] == "false"
    assert "direction.work" in by_name

    # Two cohorts side by side, with the difference of each figure.
    page.get_by_role("link", name="Vertaile kahta ryhmää").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kahden ryhmän vertailu")
    page.get_by_role("group", name="Ryhmä A").get_by_label("Ryhmä", exact=True).select_option(
        cohort
    )
    page.get_by_role("group", name="Ryhmä B").get_by_label("Ryhmä", exact=True).select_option(other)
    page.get_by_role("button", name="Vertaile").click()
    opened_row = page.get_by_role("table", name="Polun eteneminen").get_by_role(
        "row", name="Avattu"
    )
    difference = count_of(others) - six
    expect(opened_row).to_contain_text(f"{six}")
    expect(opened_row.locator("td").nth(2)).to_have_text(f"{difference:+d}")
    checks.check(page, "compare")

    # The trend by cohort lists both.
    page.goto(system.urls["reporting"] + "/kehitys?by=cohort&municipality=061")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kehitys")
    expect(page.get_by_role("row", name=cohort)).to_contain_text(str(six))
    checks.check(page, "trend")

    # Printed for a meeting: the figures without the controls.
    page.goto(system.urls["reporting"] + f"/?municipality=061&cohort={cohort}")
    page.emulate_media(media="print")
    expect(page.locator("form.filters")).to_be_hidden()
    expect(page.get_by_role("figure", name="Polun eteneminen")).to_be_visible()
    assert page.pdf()[:4] == b"%PDF"
    page.emulate_media(media="screen")


def test_a_counselor_is_not_shown_the_figures(page: Page, system: RunningSystem) -> None:
    checks = PageChecks("dashboard-counselor")
    page.goto(system.urls["reporting"] + "/kirjaudu")
    page.get_by_label("Outi Ohjaaja – ohjaaja").check()
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page.get_by_role("alert")).to_contain_text("esihenkilöille")
    checks.check(page, "refused")
