"""Every client's text passes the plain-language limits of decision 0043; the figures and the
ten hardest texts are printed by `python -m services.tasks.plain_language --report`."""

from __future__ import annotations

import statistics

import pytest

from services.tasks.adapters.client_texts import ClientText, client_texts
from services.tasks.adapters.curriculum_files import CURRENT_VERSION
from services.tasks.plain_language import LIMITS, failures, hardest, main, measure_all

# The pooled means the client's texts keep (decision 0043): most texts well under the limit.
MEAN_WIIO = 7.0
MEAN_LIX = 30.0


def test_every_client_text_is_plain() -> None:
    failing = failures()
    listing = "\n".join(m.line() for m in hardest(failing))
    assert not failing, f"{len(failing)} client texts are too hard; the ten hardest:\n{listing}"


def test_the_texts_are_plain_on_average() -> None:
    measured = measure_all(client_texts())
    for language, limit in (("fi", MEAN_WIIO), ("sv", MEAN_LIX)):
        scores = [
            m.figures.score
            for m in measured
            if m.text.language == language
            and m.figures.words >= LIMITS[language].min_words_for_score
        ]
        assert statistics.fmean(scores) <= limit, (language, statistics.fmean(scores))


def test_the_check_reads_the_current_curriculum_and_both_catalogues() -> None:
    sources = {t.source for t in client_texts()}
    assert f"services/tasks/curriculum/{CURRENT_VERSION}.json" in sources
    assert {"services/tasks/translations/sv.json", "chassis/translations/fi.json"} <= sources
    keys = {t.key for t in client_texts()}
    assert "error.staff_mfa_required" not in keys  # staff only
    assert "home.heading" in keys and "week1.intro" in keys


def test_a_hard_text_fails_and_says_why() -> None:
    hard = ClientText(
        source="x.json",
        key="k",
        language="fi",
        text="Työllisyyspalveluiden asiantuntijat arvioivat kuntouttavan työtoiminnan "
        "vaikuttavuutta monipuolisesti hyvinvointialueen toimintaympäristössä. "
        "Työkokeilujen vaikuttavuus osoittautui merkittäväksi.",
    )
    (found,) = failures([hard])
    assert any("Wiio" in p for p in found.problems)
    assert any("letters" in p for p in found.problems)


def test_the_report_prints_the_figures_and_the_ten_hardest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--report"]) == 0
    printed = capsys.readouterr().out
    assert "fi: " in printed and "Wiio mean" in printed and "LIX mean" in printed
    hardest_lines = printed.split("The ten hardest:\n", 1)[1].split("\n")[:10]
    assert all(
        line.startswith("  services/") or line.startswith("  chassis/") for line in hardest_lines
    )
