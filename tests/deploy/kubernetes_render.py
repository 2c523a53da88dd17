"""The Kustomize overlays of deploy/kubernetes rendered once per test session.

`kubectl kustomize` (Debian's kubectl, in the machine image) renders each environment; the
tests read the objects it prints, as the cluster would receive them.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no type hints

from deploy.kubernetes_generate import ROOT

ENVIRONMENTS = ("development", "staging", "production")
Manifest = dict[str, Any]


def overlay(environment: str) -> Path:
    return ROOT / "overlays" / environment


@cache
def rendered_text(path: Path) -> str:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed to render the overlays (Debian package kubectl)"
    result = subprocess.run(
        [kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr}"
    return result.stdout


@cache
def rendered(path: Path) -> list[Manifest]:
    """The objects of an overlay; shared between tests, so a test that changes one copies it."""
    return [doc for doc in yaml.safe_load_all(rendered_text(path)) if doc]


def of_kind(objects: list[Manifest], kind: str) -> dict[str, Manifest]:
    """The objects of one kind by name."""
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}
