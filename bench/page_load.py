"""The client's pages under load (issue 15, item 4): the week page, a task page, an autosaved
draft and a sent answer in a mix (bench/locustfile.py), at `rate` requests/s from locust on
loopback, for a bounded time after a warm-up; while it runs, a counselor's command → the
manager's dashboard figure, as bench/dashboard_latency.py measures it with no load.

A throwaway system is started for the bench (durable PostgreSQL) and stopped after. The
clients exist through the real services: the counselor opens their paths over enrolment's API
(start date a week back, so two weeks of tasks are open), each client signs in to tasks'
pages through the development OIDC issuer, and tasks' own projection starts their plans.
Every request comes from 127.0.0.1, so the services' per-address limits (sign-in, writes) are
raised for this system only: real clients come from many addresses.

Baselines from the same run: the same pages with no load (sequential requests), and
`/healthz` of the same service under the same load (the floor: no session, database or
template).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvloop

from bench.dashboard_latency import Dashboard, one_command
from bench.latency_stats import Latency
from bench.shape import BENCH_SYSTEM_ENV
from bench.summary import Measured, Summary
from chassis.http_auth import SESSION_COOKIE
from deploy.demo_data import helsinki_today_now, open_path_request
from deploy.identity_codes import identity_code
from deploy.system import RunningSystem, start_system
from tests.support.sign_in import sign_in

TARGET_RATE = 200.0  # requests/s, issue 15
PAGE_P99_TARGET_MS = 100.0
DASHBOARD_P99_TARGET = 1.0  # s, command → dashboard figure
# Two weeks open (a path may start at most 7 days back): six tasks, two sends each.
OPEN_TASKS = ("w01-t1", "w01-t2", "w01-t3", "w02-t1", "w02-t2", "w02-t3")
NO_LOAD_SAMPLES = 200
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass(frozen=True)
class ClientSession:
    cookie: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.cookie}"}


@dataclass(frozen=True)
class LoadRow:
    """One request type of locust's stats (times in ms)."""

    name: str
    requests: int
    failures: int
    per_second: float
    median: float
    p95: float
    p99: float


def client_code(number: int) -> str:
    """Distinct from the dashboard's commands (demo_identity_code: born 1985)."""
    return identity_code((number % 28) + 1, (number % 9) + 1, 1990, 200 + number)


async def open_paths(dashboard: Dashboard, system: RunningSystem, clients: int) -> None:
    start = helsinki_today_now() - timedelta(days=7)
    async with httpx.AsyncClient(timeout=30) as http:
        for number in range(clients):
            body = open_path_request(
                "Kuorma", f"Asiakas-{number}", client_code(number), "061", "bench", start
            )
            opened = await http.post(
                f"{system.urls['enrolment']}/pathways",
                headers={**dashboard.counselor, "Idempotency-Key": f"load-{number}"},
                json=body,
            )
            if opened.status_code != 201:
                raise RuntimeError(f"opening path {number}: {opened.status_code} {opened.text}")


def signed_in_clients(system: RunningSystem, clients: int) -> list[ClientSession]:
    """Each client signs in to tasks' pages and waits for their plan to show."""
    sessions = []
    for number in range(clients):
        session = sign_in(system, "tasks", identity_code=client_code(number))
        deadline = time.monotonic() + 60
        while 'href="/tehtavat/w02-t1"' not in (page := session.get("/")).text:
            if time.monotonic() > deadline:
                raise RuntimeError(f"client {number}: no plan after 60 s ({page.status_code})")
            time.sleep(0.1)
        found = _CSRF.search(page.text)
        if found is None:
            raise RuntimeError("the week page has no csrf-token")
        sessions.append(ClientSession(session.cookie, found.group(1)))
    return sessions


async def no_load(base: str, session: ClientSession) -> dict[str, Latency]:
    """The same pages (and the floor), one request at a time with nothing else running."""
    paths = {"week page": "/", "task page": "/tehtavat/w01-t2", "/healthz (floor)": "/healthz"}
    found: dict[str, Latency] = {}
    async with httpx.AsyncClient(base_url=base, headers=session.headers, timeout=10) as http:
        for name, path in paths.items():
            times = []
            for _ in range(NO_LOAD_SAMPLES + 10):
                started = time.perf_counter()
                (await http.get(path)).raise_for_status()
                times.append(time.perf_counter() - started)
            found[name] = Latency.of(name, times[10:])
    return found


def locust_command(base: str, users: int, seconds: int, prefix: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "--host",
        base,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "5",
        "--csv",
        str(prefix),
        "--loglevel",
        "WARNING",
    ]


async def run_locust(
    base: str, sessions_file: Path, rate: float, users: int, seconds: int, warmup: bool
) -> Path:
    """One bounded locust run in its own process; returns its stats CSV."""
    prefix = sessions_file.with_name("warmup" if warmup else "load")
    env = {
        **os.environ,
        "BENCH_SESSIONS": str(sessions_file),
        "BENCH_RATE": str(rate),
        "BENCH_WARMUP": "1" if warmup else "0",
    }
    process = await asyncio.create_subprocess_exec(
        *locust_command(base, users, seconds, prefix), env=env
    )
    try:
        async with asyncio.timeout(seconds + 60):
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    # locust exits 1 when any request failed; the failures are in the CSV, reported below.
    stats = prefix.with_name(f"{prefix.name}_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"locust wrote no stats (exit {process.returncode})")
    return stats


def read_stats(path: Path) -> list[LoadRow]:
    with path.open() as file:
        return [
            LoadRow(
                row["Name"],
                int(row["Request Count"]),
                int(row["Failure Count"]),
                float(row["Requests/s"]),
                float(row["50%"]),
                float(row["95%"]),
                float(row["99%"]),
            )
            for row in csv.DictReader(file)
        ]


async def commands_while(
    dashboard: Dashboard, running: Callable[[], bool]
) -> tuple[list[float], list[float]]:
    """Command → dashboard samples, one after another, while the load runs."""
    round_trips: list[float] = []
    to_figure: list[float] = []
    while running():
        round_trip, changed = await one_command(dashboard)
        round_trips.append(round_trip)
        to_figure.append(changed)
    return round_trips, to_figure


async def _under_load(
    base: str, sessions_file: Path, rate: float, users: int, seconds: int, dashboard: Dashboard
) -> tuple[Path, tuple[list[float], list[float]]]:
    load: asyncio.Task[Path] = asyncio.create_task(
        run_locust(base, sessions_file, rate, users, seconds, warmup=False)
    )
    await asyncio.sleep(3)  # the users have spawned
    figures = await commands_while(dashboard, lambda: not load.done())
    return await load, figures


async def _measure(
    system: RunningSystem, clients: int, rate: float, seconds: int, warmup: int, workdir: Path
) -> list[Measured]:
    base = system.urls["tasks"]
    async with httpx.AsyncClient(timeout=30) as http:
        dashboard = Dashboard(http, system)
        await dashboard.sign_in()
        print(f"  opening {clients} paths through enrolment…", flush=True)
        await open_paths(dashboard, system, clients)
        print("  signing the clients in to tasks' pages…", flush=True)
        sessions = await asyncio.to_thread(signed_in_clients, system, clients)
        sessions_file = workdir / "sessions.json"
        sessions_file.write_text(
            json.dumps(
                [
                    {"cookie": s.headers["Cookie"], "csrf": s.csrf, "tasks": list(OPEN_TASKS)}
                    for s in sessions
                ]
            )
        )
        print("  the same pages with no load…", flush=True)
        quiet = await no_load(base, sessions[0])
        for _ in range(5):
            await one_command(dashboard)  # the dashboard's path warmed up
        print(f"  warm-up: {warmup} s of load without answers…", flush=True)
        await run_locust(base, sessions_file, rate, clients, warmup, warmup=True)
        print(f"  measured: {seconds} s at {rate:.0f} requests/s aimed…", flush=True)
        stats, (round_trips, to_figure) = await _under_load(
            base, sessions_file, rate, clients, seconds, dashboard
        )
    rows = read_stats(stats)
    return figures(rows, quiet, round_trips, to_figure, rate)


def figures(
    rows: list[LoadRow],
    quiet: dict[str, Latency],
    round_trips: list[float],
    to_figure: list[float],
    rate: float,
) -> list[Measured]:
    by_name = {row.name: row for row in rows}
    overall = by_name["Aggregated"]
    floor = by_name["/healthz (floor)"]
    measured = [
        Measured(
            "client pages: requests/s achieved",
            overall.per_second,
            "req/s",
            "aimed at, req/s",
            rate,
            f">= {TARGET_RATE:.0f} req/s",
            overall.per_second >= TARGET_RATE * 0.98,
        ),
        Measured(
            "client pages: error rate",
            100 * overall.failures / max(1, overall.requests),
            "%",
            "requests sent",
            overall.requests,
            "reported (0 % expected)",
            overall.failures == 0,
        ),
    ]
    for row in rows:
        if row.name == "Aggregated":
            continue
        if row.name in quiet and row.name != floor.name:
            baseline, baseline_ms = "same page, no load, p99 ms", quiet[row.name].tail * 1000
        else:
            baseline, baseline_ms = "/healthz, no load, p99 ms", quiet[floor.name].tail * 1000
        if row.name != floor.name:
            measured.append(
                Measured(
                    f"{row.name} under load, p50",
                    row.median,
                    "ms",
                    "/healthz under the same load, p50 ms",
                    floor.median,
                    "none",
                    None,
                )
            )
        measured.append(
            Measured(
                f"{row.name} under load, p99 ({row.requests} requests, {row.failures} failed)",
                row.p99,
                "ms",
                baseline,
                baseline_ms,
                f"p99 < {PAGE_P99_TARGET_MS:.0f} ms",
                row.p99 < PAGE_P99_TARGET_MS,
            )
        )
    measured.append(
        Measured(
            "client pages overall under load, p99",
            overall.p99,
            "ms",
            "/healthz under the same load, p99 ms",
            floor.p99,
            f"p99 < {PAGE_P99_TARGET_MS:.0f} ms",
            overall.p99 < PAGE_P99_TARGET_MS,
        )
    )
    if to_figure:
        changed, command = Latency.of("", to_figure), Latency.of("", round_trips)
        for label, value in (("median", changed.median), ("p99", changed.tail)):
            is_tail = label == "p99"
            measured.append(
                Measured(
                    f"command → dashboard figure under the client load, {label}"
                    f" ({len(to_figure)} samples)",
                    value * 1000,
                    "ms",
                    "command round trip under the load, median ms",
                    command.median * 1000,
                    f"p99 < {DASHBOARD_P99_TARGET * 1000:.0f} ms" if is_tail else "none",
                    value < DASHBOARD_P99_TARGET if is_tail else None,
                )
            )
    return measured


def _run(coroutine: Coroutine[Any, Any, list[Measured]]) -> list[Measured]:
    """On uvloop, the event loop uvicorn gives the services (as bench/__main__.py does)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def run_page_load(
    clients: int = 120, rate: float = TARGET_RATE, seconds: int = 45, warmup: int = 10
) -> list[Measured]:
    """Start a throwaway system, load its client pages, stop it; synchronous (start_system
    runs its own event loop). Bounded: `warmup` + `seconds` of load, `clients` paths."""
    if not 1 <= clients <= 500 or not 5 <= seconds <= 120 or rate > 400:
        raise ValueError("bounded: 1..500 clients, 5..120 s, at most 400 requests/s")
    print("\nClient pages under load: starting the whole system (durable PostgreSQL)…", flush=True)
    system = start_system(durable=True, extra_env=BENCH_SYSTEM_ENV)
    try:
        with tempfile.TemporaryDirectory(prefix="page-load-") as workdir:
            return _run(_measure(system, clients, rate, seconds, warmup, Path(workdir)))
    finally:
        system.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=120, help="signed-in clients (paths)")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="requests/s aimed at")
    parser.add_argument("--seconds", type=int, default=45, help="measured load, seconds")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up load, seconds")
    args = parser.parse_args()
    started = time.monotonic()
    summary = Summary(run_page_load(args.clients, args.rate, args.seconds, args.warmup))
    print(summary.table())
    print(f"\nfinished in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
