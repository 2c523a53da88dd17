"""`make run`'s runner: everything comes up on the usual ports, and Ctrl-C leaves nothing."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from deploy.local_stack import port_open
from deploy.system import DEFAULT_PORTS, REPO_ROOT
from services.reporting.domain.cell_key import MAX_DEVIATION


def test_run_prints_urls_and_ctrl_c_leaves_no_process_or_port(tmp_path: Path) -> None:
    busy = [port for port in DEFAULT_PORTS.values() if port_open(port)]
    if busy:
        pytest.skip(f"ports {busy} are taken (is `make run` already running here?)")
    output = tmp_path / "run.log"
    with output.open("wb") as log:
        runner = subprocess.Popen(
            [sys.executable, "-m", "deploy.run"],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 300  # the simulated demo takes about a minute
        while "Press Ctrl-C" not in output.read_text() and time.monotonic() < deadline:
            assert runner.poll() is None, output.read_text()
            time.sleep(0.2)
        text = output.read_text()
        assert "Press Ctrl-C" in text, text
        for name, port in DEFAULT_PORTS.items():
            if name != "issuer":
                assert f"http://127.0.0.1:{port}" in text
                assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
        infra_ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", text)]
        # The simulated months are on the dashboard at once: 72 simulated clients and today's 6.
        token = httpx.post(
            f"http://127.0.0.1:{DEFAULT_PORTS['issuer']}/dev/token",
            json={"tenant": "kanta-hame", "subject": "run-test-manager", "role": "manager"},
        ).json()["access_token"]
        shown = httpx.get(
            f"http://127.0.0.1:{DEFAULT_PORTS['reporting']}/figures",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert shown["funnel"]["opened"]["value"] >= 72 - MAX_DEVIATION  # with its noise
        assert shown["outcomes"]["6m"]["followed_up"]["value"]
    finally:
        # What Ctrl-C in a terminal sends; a run that died on its own has no group left to
        # tell, and the assertion that saw it die is the one to report.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(runner.pid, signal.SIGINT)
        runner.wait(timeout=60)
    assert runner.returncode == 0, output.read_text()
    assert "Stopped." in output.read_text()
    still_open = [port for port in {*infra_ports, *DEFAULT_PORTS.values()} if port_open(port)]
    assert still_open == []
    leftovers = subprocess.run(["pgrep", "-s", str(runner.pid)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "processes of the run's session are still alive"
