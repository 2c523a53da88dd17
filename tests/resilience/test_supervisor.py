"""The local stack's supervisor (decision 0028): a process that dies comes back, with back-off,
and is awaited until ready; a process stopped on purpose stays stopped.

The first tests supervise small real child processes (fast, exact about timing); the rest
kill the parts of a whole running system: a service, the broker, PostgreSQL.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.local_stack import ManagedProcess, port_open, spawn
from deploy.supervisor import FIRST_DELAY, Restart, Supervised, Supervisor
from deploy.system import DEFAULT_PORTS, REPO_ROOT, RunningSystem
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory
from tests.support.waiting import eventually

# A child that says it is ready by writing its own pid to a file.
_CHILD = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(600)"


class Child:
    def __init__(self, directory: Path, name: str) -> None:
        self.ready_file = directory / f"{name}.pid"
        self.process: ManagedProcess = spawn(
            name, [sys.executable, "-c", _CHILD, str(self.ready_file)], directory / f"{name}.log"
        )

    def ready(self) -> bool:
        try:
            return self.ready_file.read_text() == str(self.process.pid)
        except OSError:
            return False


@pytest.fixture
def child(tmp_path: Path) -> Iterator[Child]:
    started = Child(tmp_path, "child")
    try:
        yield started
    finally:
        started.process.stop()


def supervise(child: Child) -> Supervisor:
    supervisor = Supervisor({"child": Supervised(child.process, child.ready)})
    supervisor.start()
    eventually(child.ready, timeout=10, what="the child's first start")
    return supervisor


def test_a_killed_process_is_restarted_with_doubling_back_off(child: Child) -> None:
    supervisor = supervise(child)
    try:
        first_pid = child.process.pid
        child.process.send_signal(signal.SIGKILL)
        first: Restart = eventually(
            lambda: next(iter(supervisor.restarts_of("child")), None), what="the first restart"
        )
        assert first.exit_code == -signal.SIGKILL
        assert first.delay == FIRST_DELAY
        assert first.back_at - first.died_at >= FIRST_DELAY
        assert first.back_at_wall >= first.died_at_wall
        assert child.process.pid != first_pid and child.ready()

        child.process.send_signal(signal.SIGKILL)  # dies again at once: the wait doubles
        eventually(lambda: len(supervisor.restarts_of("child")) == 2, what="the second restart")
        second = supervisor.restarts_of("child")[1]
        assert second.delay == 2 * FIRST_DELAY
        assert second.back_at - second.died_at >= 2 * FIRST_DELAY
        # The same name and log file: the log goes on where it was.
        assert child.process.name == "child" and child.process.log_path.name == "child.log"
    finally:
        supervisor.stop()


def test_a_deliberate_stop_is_not_restarted_and_a_held_process_waits(child: Child) -> None:
    supervisor = supervise(child)
    try:
        supervisor.hold("child")
        child.process.send_signal(signal.SIGKILL)
        time.sleep(FIRST_DELAY * 3)
        assert not child.process.alive() and supervisor.restarts == []
        supervisor.release("child")
        eventually(lambda: supervisor.restarts_of("child"), what="the restart after release")

        child.process.stop()
        time.sleep(FIRST_DELAY * 3)
        assert not child.process.alive()
        assert len(supervisor.restarts) == 1
    finally:
        supervisor.stop()


def _ready(system: RunningSystem, name: str) -> bool:
    return system.service_ready(name)


@pytest.mark.slow
def test_a_killed_service_comes_back_ready_and_is_reported(faulty_system: RunningSystem) -> None:
    supervisor = faulty_system.supervisor
    assert supervisor is not None
    before = len(supervisor.restarts_of("tasks"))
    old_pid = faulty_system.processes["tasks"].pid
    faulty_system.kill("tasks", signal.SIGKILL)
    eventually(
        lambda: len(supervisor.restarts_of("tasks")) > before,
        timeout=60,
        what="tasks restarted and ready",
    )
    restart = supervisor.restarts_of("tasks")[-1]
    assert restart.exit_code == -signal.SIGKILL
    assert faulty_system.processes["tasks"].pid != old_pid
    assert _ready(faulty_system, "tasks")
    assert "tasks" not in supervisor.restarting()


@pytest.mark.slow
def test_postgres_stopped_in_immediate_mode_comes_back_with_its_data(
    faulty_system: RunningSystem, faulty_identities: IdentityFactory
) -> None:
    supervisor = faulty_system.supervisor
    assert supervisor is not None
    counselor = faulty_identities.staff("counselor")
    client = faulty_identities.client()
    pathway_id = open_path(faulty_system, counselor, client)
    before = len(supervisor.restarts_of("postgres"))

    faulty_system.infrastructure.postgres.stop_immediate()
    eventually(
        lambda: len(supervisor.restarts_of("postgres")) > before,
        timeout=60,
        what="PostgreSQL restarted",
    )
    eventually(lambda: _ready(faulty_system, "enrolment"), what="enrolment ready again")
    # What was committed before the crash is there after the WAL replay.
    found = httpx.get(
        f"{faulty_system.urls['enrolment']}/pathways/{pathway_id}",
        headers=counselor.headers,
        timeout=10,
    )
    assert found.status_code == 200, found.text
    assert wait_for_plan(faulty_system, client)["pathway_id"] == pathway_id


@pytest.mark.slow
def test_a_paused_service_is_not_ready_and_not_restarted_until_it_goes_on(
    faulty_system: RunningSystem,
) -> None:
    supervisor = faulty_system.supervisor
    assert supervisor is not None
    before = len(supervisor.restarts)
    faulty_system.kill("guidance", signal.SIGSTOP)
    try:
        assert not _ready(faulty_system, "guidance")  # no answer within the probe's 2 s
    finally:
        faulty_system.kill("guidance", signal.SIGCONT)
    eventually(lambda: _ready(faulty_system, "guidance"), what="guidance ready after SIGCONT")
    assert len(supervisor.restarts) == before


@pytest.mark.slow
def test_the_broker_killed_comes_back_and_the_services_are_ready_again(
    faulty_system: RunningSystem,
) -> None:
    supervisor = faulty_system.supervisor
    assert supervisor is not None
    before = len(supervisor.restarts_of("tansu"))
    faulty_system.kill("kafka", signal.SIGKILL)  # "kafka" names the broker too
    eventually(lambda: len(supervisor.restarts_of("tansu")) > before, timeout=30, what="Tansu back")
    for name in ("enrolment", "tasks", "guidance", "reporting"):
        eventually(functools.partial(_ready, faulty_system, name), what=f"{name} ready")


def _child_of(parent_pid: int, needle: str) -> int | None:
    """The pid of a child of `parent_pid` whose command line has `needle` (each child of the
    run has a session of its own, so it is found by its parent)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if needle in cmdline and parent == parent_pid:
            return int(entry.name)
    return None


@pytest.mark.slow
def test_make_run_restarts_a_killed_service_and_says_so(tmp_path: Path) -> None:
    busy = [port for port in DEFAULT_PORTS.values() if port_open(port)]
    if busy:
        pytest.skip(f"ports {busy} are taken (is `make run` already running here?)")
    output = tmp_path / "run.log"
    with output.open("wb") as log:
        runner = subprocess.Popen(
            [sys.executable, "-m", "deploy.run", "--clients-per-group", "0"],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        eventually(
            lambda: "Press Ctrl-C" in output.read_text() or runner.poll() is not None,
            timeout=180,
            what="make run up",
        )
        assert "each restart is reported here" in output.read_text(), output.read_text()
        tasks = _child_of(runner.pid, "services.cli serve tasks")
        assert tasks is not None
        os.kill(tasks, signal.SIGKILL)
        eventually(
            lambda: "tasks is back" in output.read_text(), timeout=90, what="the return told"
        )
        text = output.read_text()
        assert "tasks exited (code -9, SIGKILL); restarting in 0.5 s" in text
        assert httpx.get(f"http://127.0.0.1:{DEFAULT_PORTS['tasks']}/readyz").status_code == 200
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(runner.pid, signal.SIGINT)
        runner.wait(timeout=60)
    assert runner.returncode == 0, output.read_text()
