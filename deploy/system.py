"""The whole Digipolku system as local processes: infrastructure, the development issuer and
the four services, each started, awaited until ready, and stopped with nothing left behind.

`make run` and the cross-service tests both start the system through `start_system`.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from deploy.local_stack import (
    LocalInfrastructure,
    ManagedProcess,
    StackError,
    free_port,
    port_open,
    spawn,
    start_infrastructure,
)
from deploy.supervisor import Restart, Supervised, Supervisor
from deploy.tcp_proxy import TcpProxy

SERVICES = ("enrolment", "tasks", "guidance", "reporting")
DEFAULT_PORTS = {
    "issuer": 8000,
    "enrolment": 8001,
    "tasks": 8002,
    "guidance": 8003,
    "reporting": 8004,
}
REPO_ROOT = Path(__file__).resolve().parent.parent
# Keys only one service may hold (decision 0025): taken out of every other service's
# environment even when the operator's shell has them.
SECRET_OWNERS = {
    "DIGIPOLKU_PSEUDONYM_KEY": "enrolment",
    "DIGIPOLKU_VAULT_KEY": "enrolment",
    "DIGIPOLKU_PUBLIC_REF_KEY": "reporting",
    "DIGIPOLKU_CELL_KEY": "reporting",
}


# Names of the infrastructure processes, beside the services' and the issuer's.
POSTGRES = "postgres"
BROKER = "tansu"
_ALIASES = {"kafka": BROKER, "broker": BROKER, "postgresql": POSTGRES}


@dataclass
class RunningSystem:
    """The running processes; `supervisor` when started `supervised`, `proxies` ("kafka",
    "postgres") when started `proxied`."""

    infrastructure: LocalInfrastructure
    urls: dict[str, str]
    processes: dict[str, ManagedProcess] = field(default_factory=dict)
    proxies: dict[str, TcpProxy] = field(default_factory=dict)
    supervisor: Supervisor | None = None

    @property
    def clock_file(self) -> Path:
        """The services' business clock (chassis.clock): absent or empty, real time."""
        return self.infrastructure.root / "clock"

    @property
    def issuer_url(self) -> str:
        return self.urls["issuer"]

    def log_of(self, name: str) -> Path:
        return self.processes[name].log_path

    def stop_service(self, name: str) -> None:
        """A deliberate stop: the supervisor leaves it stopped."""
        self.processes[name].stop()

    def process(self, name: str) -> ManagedProcess:
        """A service, "issuer", "postgres" or "tansu" (also called "kafka")."""
        name = _ALIASES.get(name, name)
        if name == POSTGRES:
            found = self.infrastructure.postgres.process
        elif name == BROKER:
            found = self.infrastructure.kafka.process
        else:
            found = self.processes.get(name)
        if found is None:
            raise KeyError(name)
        return found

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the process group of `name` (SIGKILL, SIGSTOP, SIGCONT...): a fault,
        not a stop, so a supervisor brings a killed process back."""
        self.process(name).send_signal(sig)

    def stop(self) -> None:
        # The supervisor first, so that nothing stopped here is taken for a death.
        if self.supervisor is not None:
            self.supervisor.stop()
        for process in reversed(list(self.processes.values())):
            process.stop()
        for proxy in self.proxies.values():
            proxy.stop()
        self.infrastructure.stop()

    def service_ready(self, name: str) -> bool:
        url = self.urls[name] + ("/healthz" if name == "issuer" else "/readyz")
        try:
            return httpx.get(url, timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False


def without_keys(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment less every key that only one service may hold."""
    return {name: value for name, value in environ.items() if name not in SECRET_OWNERS}


def keys_of(service: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The keys this service, and no other, takes from the environment."""
    return {
        name: environ[name]
        for name, owner in SECRET_OWNERS.items()
        if owner == service and name in environ
    }


def migration_role(service: str) -> str:
    """The role that migrates the service's database and owns its tables (decision 0024)."""
    return f"{service}_owner"


def app_role(service: str) -> str:
    """The role the service's pool uses: its tables' ordinary rights, the access log's
    SELECT and INSERT only (granted by the service after migrating)."""
    return f"{service}_app"


def log_writer_role(service: str) -> str:
    """The role that cannot log in and alone holds the access log's rights; the app role
    writes the log as its member (issue 16)."""
    return f"{service}_log_writer"


async def _create_databases(admin_dsn: str) -> None:
    """One database per service, owned by its migration role, used by its app role, whose
    access log only its writer role may add to (as production declares them)."""
    connection = await asyncpg.connect(admin_dsn)
    try:
        for name in SERVICES:
            roles = {migration_role(name): "LOGIN", app_role(name): "LOGIN"}
            for role, login in {**roles, log_writer_role(name): "NOLOGIN"}.items():
                known = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
                if not known:
                    # No password: the local cluster trusts loopback (LocalPostgres).
                    await connection.execute(f'CREATE ROLE "{role}" {login}')
            await connection.execute(f'GRANT "{log_writer_role(name)}" TO "{app_role(name)}"')
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await connection.execute(f'CREATE DATABASE "{name}" OWNER "{migration_role(name)}"')
    finally:
        await connection.close()


def _wait_ready(url: str, process: ManagedProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not process.alive():
            raise StackError(f"{process.name} exited:\n{process.log_tail(40)}")
        try:
            response = httpx.get(url, timeout=2.0)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:200]}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise StackError(
        f"{process.name} not ready within {timeout:.0f} s ({last}):\n{process.log_tail(40)}"
    )


def start_system(
    *,
    fixed_ports: bool = False,
    durable: bool = True,
    log_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
    ready_timeout: float = 90.0,
    supervised: bool = False,
    proxied: bool = False,
    on_restart: Callable[[Restart], None] | None = None,
    on_death: Callable[[str, int | None, float], None] | None = None,
) -> RunningSystem:
    """Start everything; on any failure stop what was started and raise StackError.

    `supervised`: a `Supervisor` restarts any process that dies (`system.supervisor`; the
    callbacks go to it). `proxied`: the services reach the broker and the database through
    `TcpProxy`s (`system.proxies["kafka"]`, `system.proxies["postgres"]`); the broker
    advertises its proxy, so every client after bootstrap goes through it too.
    """
    if fixed_ports:
        busy = [f"{name} ({port})" for name, port in DEFAULT_PORTS.items() if port_open(port)]
        if busy:
            raise StackError("these ports are already in use: " + ", ".join(busy))
        ports = dict(DEFAULT_PORTS)
    else:
        ports = {name: free_port() for name in DEFAULT_PORTS}
    # The broker's proxy listens before the broker starts, which must advertise its port; it
    # learns the broker's port once that has started (no connection comes before).
    kafka_proxy = TcpProxy("kafka", 0) if proxied else None
    if kafka_proxy is not None:
        kafka_proxy.start()
    try:
        infra = start_infrastructure(
            durable=durable,
            kafka_advertised_port=kafka_proxy.listen_port if kafka_proxy else None,
        )
    except BaseException:
        if kafka_proxy is not None:
            kafka_proxy.stop()
        raise
    system = RunningSystem(infra, {n: f"http://127.0.0.1:{p}" for n, p in ports.items()})
    logs = log_dir or infra.root
    logs.mkdir(parents=True, exist_ok=True)
    try:
        database_port = infra.postgres.port
        if proxied:
            assert kafka_proxy is not None
            kafka_proxy.target_port = infra.kafka.port
            system.proxies["kafka"] = kafka_proxy
            system.proxies["postgres"] = TcpProxy("postgres", infra.postgres.port)
            system.proxies["postgres"].start()
            database_port = system.proxies["postgres"].listen_port
        asyncio.run(_create_databases(infra.postgres.dsn))
        base_env = {
            **without_keys(os.environ),
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHONUNBUFFERED": "1",
            "DIGIPOLKU_ENVIRONMENT": "development",
            "DIGIPOLKU_KAFKA_BOOTSTRAP": infra.kafka.bootstrap_servers,
            "DIGIPOLKU_OIDC_ISSUER": system.issuer_url,
            "DIGIPOLKU_TASKS_URL": system.urls["tasks"],
            "DIGIPOLKU_GUIDANCE_URL": system.urls["guidance"],
            "DIGIPOLKU_ENROLMENT_URL": system.urls["enrolment"],
            "DIGIPOLKU_REPORTING_URL": system.urls["reporting"],
            "DIGIPOLKU_CLOCK_FILE": str(system.clock_file),
            # The calendar looks every second: a simulated clock passes a day in moments.
            "DIGIPOLKU_WEEK_SCHEDULER_SECONDS": "1",
            # The monthly statistics follow within seconds, as the calendar does.
            "DIGIPOLKU_STATISTICS_SECONDS": "2",
            # The test suite, the fuzzer and the simulator write thousands of times a minute
            # from one address; production keeps its own limits (decision 0023).
            "DIGIPOLKU_RATE_LIMIT_WRITES": "100000/minute",
            "DIGIPOLKU_RATE_LIMIT_SIGN_IN": "10000/minute",
            **(extra_env or {}),
        }
        uvicorn = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "--host",
            "127.0.0.1",
            "--no-access-log",
            "--port",
        ]
        # The services start as in production, through `digipolku serve` (decision 0036).
        serve = [sys.executable, "-m", "services.cli", "serve"]
        system.processes["issuer"] = spawn(
            "issuer",
            [*uvicorn, str(ports["issuer"]), "deploy.dev_issuer:create_app"],
            logs / "issuer.log",
            env=base_env,
            cwd=REPO_ROOT,
        )
        for name in SERVICES:
            env = {
                **base_env,
                "DIGIPOLKU_SERVICE_NAME": name,
                "DIGIPOLKU_DATABASE_URL": _dsn(database_port, name, app_role(name)),
                "DIGIPOLKU_MIGRATION_DATABASE_URL": _dsn(database_port, name, migration_role(name)),
                "DIGIPOLKU_ACCESS_LOG_WRITER_ROLE": log_writer_role(name),
                # Spans as JSON lines (chassis.tracing): `.stack/traces/` for `make run`.
                "DIGIPOLKU_TRACE_FILE": str(
                    (log_dir.parent if log_dir else logs) / "traces" / f"{name}.jsonl"
                ),
            }
            env.update(keys_of(name, os.environ))
            system.processes[name] = spawn(
                name,
                [*serve, name, "--host", "127.0.0.1", "--port", str(ports[name])],
                logs / f"{name}.log",
                env=env,
                cwd=REPO_ROOT,
            )
        _wait_ready(f"{system.issuer_url}/healthz", system.processes["issuer"], ready_timeout)
        for name in SERVICES:
            _wait_ready(f"{system.urls[name]}/readyz", system.processes[name], ready_timeout)
        if supervised:
            system.supervisor = _supervisor_for(system, on_death, on_restart)
            system.supervisor.start()
    except BaseException:
        system.stop()
        raise
    return system


def _dsn(port: int, database: str, user: str) -> str:
    """No password: the local cluster trusts loopback (LocalPostgres)."""
    return f"postgresql://{user}@127.0.0.1:{port}/{database}"


def _supervisor_for(
    system: RunningSystem,
    on_death: Callable[[str, int | None, float], None] | None,
    on_restart: Callable[[Restart], None] | None,
) -> Supervisor:
    infra = system.infrastructure
    watched = {
        POSTGRES: Supervised(system.process(POSTGRES), infra.postgres.answers),
        BROKER: Supervised(system.process(BROKER), infra.kafka.answers),
    }
    for name, process in system.processes.items():
        watched[name] = Supervised(process, functools.partial(system.service_ready, name))
    return Supervisor(watched, on_death=on_death, on_restart=on_restart)


@contextmanager
def running_system(**options: object) -> Iterator[RunningSystem]:
    system = start_system(**options)  # type: ignore[arg-type]
    try:
        yield system
    finally:
        system.stop()
