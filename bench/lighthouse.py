"""The client's pages on a cheap phone (issue 17, item 5; decision 0044): Lighthouse from npm
(pinned in tools/lighthouse/, installed by `make`) against Debian's Chromium, headless, with
Lighthouse's default mobile emulation and simulated throttling (a mid-range phone on slow 4G).

Three pages of a signed-in client: the week page, a task page and the baseline
self-assessment. Targets: performance >= 95, accessibility 100, best practices >= 95, and
each page under 100 KB transferred. `make bench` prints the scores; tests/browser/
test_lighthouse.py checks the same targets in `make test`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.summary import Measured, Summary
from deploy.system import RunningSystem, start_system
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory
from tests.support.registries import register_standard
from tests.support.sign_in import sign_in

LIGHTHOUSE = (
    Path(__file__).resolve().parent.parent / "tools/lighthouse/node_modules/.bin/lighthouse"
)
CHROMIUM = "/usr/bin/chromium"
# As the browser tests' (tests/browser/conftest.py): no calls out of a closed network.
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run"
    " --disable-background-networking --disable-component-update --disable-sync"
)
PAGES = {
    "week page": "/",
    "task page": "/tehtavat/w01-t1",
    "self-assessment": "/itsearvio/baseline",
}
MIN_PERFORMANCE = 95
MIN_ACCESSIBILITY = 100
MIN_BEST_PRACTICES = 95
MAX_BYTES = 100 * 1024
RUN_TIMEOUT = 90  # s, one page; a run normally takes about ten


@dataclass(frozen=True)
class PageScore:
    """One page's Lighthouse run: scores 0–100, bytes transferred, and what fell short."""

    name: str
    performance: int
    accessibility: int
    best_practices: int
    transferred: int
    short_of_full: tuple[str, ...]

    def shortfalls(self) -> list[str]:
        """The targets this page misses, in words (empty: all met)."""
        missed = []
        if self.performance < MIN_PERFORMANCE:
            missed.append(f"performance {self.performance} < {MIN_PERFORMANCE}")
        if self.accessibility < MIN_ACCESSIBILITY:
            missed.append(f"accessibility {self.accessibility} < {MIN_ACCESSIBILITY}")
        if self.best_practices < MIN_BEST_PRACTICES:
            missed.append(f"best practices {self.best_practices} < {MIN_BEST_PRACTICES}")
        if self.transferred >= MAX_BYTES:
            missed.append(f"{self.transferred} bytes >= {MAX_BYTES}")
        return missed


# Lighthouse's own trace recording sometimes fails under headless Chromium on a busy machine
# (NO_NAVSTART, NO_FCP: "Please run Lighthouse again"); such a run measured nothing, so it is
# run again, five times at most. Anything else about the page fails at once.
TRACE_RETRIES = 5
UNRECORDED = frozenset({"NO_NAVSTART", "NO_FCP", "NO_TRACING_STARTED", "NO_LCP", "NO_DCL"})


class TraceFailed(RuntimeError):
    """Lighthouse could not record the page load's trace: nothing was measured."""


def audit(name: str, url: str, headers: dict[str, str]) -> PageScore:
    """Lighthouse's scores of `url`, sending `headers` (the session cookie) with each request;
    run again when Lighthouse itself failed to record the load."""
    for attempt in range(1, TRACE_RETRIES + 1):
        try:
            return audit_once(name, url, headers)
        except TraceFailed as failed:
            if attempt == TRACE_RETRIES:
                raise
            # Said, so that a run that needed several tries shows it.
            print(f"{name}: no trace recorded, Lighthouse runs again ({failed})", file=sys.stderr)
    raise AssertionError("unreachable")


def audit_once(name: str, url: str, headers: dict[str, str]) -> PageScore:
    """Run Lighthouse once on `url`, sending `headers` (the session cookie) with each request."""
    if not LIGHTHOUSE.exists():
        raise RuntimeError(f"{LIGHTHOUSE} is missing: `make test` or `make bench` installs it")
    completed = subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            f"--extra-headers={json.dumps(headers)}",
            f"--chrome-flags={CHROME_FLAGS}",
            "--only-categories=performance,accessibility,best-practices",
            "--output=json",
            "--output-path=stdout",
            "--quiet",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        said = f"lighthouse {url}: exit {completed.returncode}: {completed.stderr[-2000:]}"
        # The trace failure comes as an exit status too, with its code in the message.
        unrecorded = any(f"({code})" in completed.stderr for code in UNRECORDED)
        raise (TraceFailed if unrecorded else RuntimeError)(said)
    report = json.loads(completed.stdout)
    failure = report.get("runtimeError")
    if failure:
        unrecorded = failure.get("code") in UNRECORDED
        raise (TraceFailed if unrecorded else RuntimeError)(f"lighthouse {url}: {failure}")
    if report["finalDisplayedUrl"] != url:  # e.g. sent to sign in: the wrong page was measured
        raise RuntimeError(f"lighthouse {url} ended on {report['finalDisplayedUrl']}")
    categories = report["categories"]
    audits = report["audits"]
    # Audits that count in a score and are not full marks: what to look at when one drops.
    short = tuple(
        sorted(
            key
            for key, found in audits.items()
            if found.get("score") is not None
            and found["score"] < 1
            and found.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
        )
    )
    return PageScore(
        name,
        round(categories["performance"]["score"] * 100),
        round(categories["accessibility"]["score"] * 100),
        round(categories["best-practices"]["score"] * 100),
        int(audits["total-byte-weight"]["numericValue"]),
        short,
    )


def signed_in_client(system: RunningSystem, identities: IdentityFactory) -> dict[str, str]:
    """A new client with an open path and a plan, signed in to tasks' pages: the Cookie
    header of their session (the cookie is `__Host-`, so it goes in the header itself)."""
    register_standard(system, "kanta-hame")
    client = identities.client()
    open_path(system, identities.staff("counselor"), client)
    wait_for_plan(system, client)
    assert client.identity_code is not None
    return sign_in(system, "tasks", identity_code=client.identity_code).headers


def audit_client_pages(system: RunningSystem, identities: IdentityFactory) -> list[PageScore]:
    headers = signed_in_client(system, identities)
    base = system.urls["tasks"]
    return [audit(name, base + path, headers) for name, path in PAGES.items()]


def as_figures(scores: list[PageScore]) -> list[Measured]:
    """The bench table's rows: each page's three scores and its weight."""
    figures = []
    for score in scores:
        for label, value, target in (
            ("performance", score.performance, MIN_PERFORMANCE),
            ("accessibility", score.accessibility, MIN_ACCESSIBILITY),
            ("best practices", score.best_practices, MIN_BEST_PRACTICES),
        ):
            figures.append(
                Measured(
                    f"Lighthouse {score.name}: {label}",
                    value,
                    "/100",
                    "none (Lighthouse scores are absolute)",
                    None,
                    f">= {target}",
                    value >= target,
                )
            )
        figures.append(
            Measured(
                f"Lighthouse {score.name}: transferred",
                score.transferred / 1024,
                "KB",
                "none",
                None,
                f"< {MAX_BYTES // 1024} KB",
                score.transferred < MAX_BYTES,
            )
        )
    return figures


def run_lighthouse() -> list[Measured]:
    """Start a throwaway system, run Lighthouse on the client's three pages, stop it."""
    print("\nThe client's pages on a throttled phone (Lighthouse): starting the system…")
    system = start_system(durable=False)
    try:
        scores = audit_client_pages(system, IdentityFactory(system.issuer_url))
    finally:
        system.stop()
    for score in scores:
        print(f"  {score.name}: {score}", flush=True)
    return as_figures(scores)


def main() -> None:
    started = time.monotonic()
    summary = Summary(run_lighthouse())
    print(summary.table())
    print(f"\nfinished in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
