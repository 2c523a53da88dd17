"""Run `digipolku` as an operator does: a process of its own, its own environment."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]


def environment(extra: Mapping[str, str], *, checkout: bool = True) -> dict[str, str]:
    """The test's environment less every DIGIPOLKU_* setting, plus `extra`; with `checkout`,
    the repository on the path (as `make install` puts it)."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("DIGIPOLKU_")}
    kept.pop("PYTHONPATH", None)
    if checkout:
        kept["PYTHONPATH"] = str(REPO_ROOT)
    return {**kept, **extra}


def run(
    command: Sequence[str], extra: Mapping[str, str], *, cwd: Path = REPO_ROOT, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        env=environment(extra),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until `url` answers 200; fails with the process's exit if it dies first."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the service exited with {process.returncode}")
        try:
            answer = httpx.get(url, timeout=2.0)
            if answer.status_code == 200:
                return
            last = f"{answer.status_code} {answer.text[:300]}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready within {timeout:.0f} s: {last}")


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> int:
    """SIGTERM, as Kubernetes stops a pod; the exit status."""
    process.terminate()
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
