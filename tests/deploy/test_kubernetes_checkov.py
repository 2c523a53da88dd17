"""checkov over every rendered overlay: no failed check but those listed, each with its reason,
in deploy/kubernetes/checkov-skips.yaml.

checkov runs from its own virtual environment (`.venv/checkov`, made by `make test` from
deploy/kubernetes/checkov-requirements.lock), since its pinned tree conflicts with ours.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no type hints

from deploy.kubernetes_generate import ROOT
from tests.deploy.kubernetes_render import ENVIRONMENTS, overlay, rendered_text

REPO = ROOT.parents[1]
CHECKOV = REPO / ".venv" / "checkov" / "bin" / "checkov"
SKIPS_FILE = ROOT / "checkov-skips.yaml"


def accepted() -> dict[str, str]:
    raw = yaml.safe_load(SKIPS_FILE.read_text(encoding="utf-8"))
    skips = {entry["id"]: entry["reason"].strip() for entry in raw["skips"]}
    assert all(len(reason) > 40 for reason in skips.values()), "every skip needs its reason"
    return skips


@pytest.fixture(scope="module")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: `make test` makes it (rule $(CHECKOV_STAMP))")
    folder: Path = tmp_path_factory.mktemp("rendered")
    for environment in ENVIRONMENTS:
        (folder / f"{environment}.yaml").write_text(rendered_text(overlay(environment)))
    # One run over every overlay: checkov's start-up is most of its time.
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(folder),
            "--framework",
            "kubernetes",
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]  # 1: some check failed
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_no_check_fails_but_the_listed_ones(checkov_report: dict[str, Any]) -> None:
    failed = checkov_report["results"]["failed_checks"]
    skips = accepted()
    unlisted = sorted(
        {
            (f["check_id"], f["check_name"], f["resource"])
            for f in failed
            if f["check_id"] not in skips
        }
    )
    assert not unlisted, "failed checkov checks not in checkov-skips.yaml: " + "\n".join(
        map(str, unlisted)
    )
    summary = checkov_report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 1000  # it did look at the manifests
    by_check = Counter(f["check_id"] for f in failed)
    print(
        f"checkov {summary['checkov_version']}: {summary['passed']} passed, "
        f"{summary['failed']} failed (all listed: {dict(by_check)}), "
        f"{summary['skipped']} skipped, {summary['resource_count']} resources"
    )


def test_every_listed_check_still_fails(checkov_report: dict[str, Any]) -> None:
    # A listed check that passes now is a reason that no longer holds: take it off the list.
    failing = {f["check_id"] for f in checkov_report["results"]["failed_checks"]}
    assert set(accepted()) <= failing, set(accepted()) - failing
