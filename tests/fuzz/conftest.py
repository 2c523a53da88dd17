"""A system of the fuzz tests' own, and their counts printed at the end of the pytest output
(also without `-s`).

Of its own because the fuzzer changes what it finds: it opens, pauses and ends paths, and the
admin's erasure route is fuzzed too, which must never meet data another test keeps.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deploy.system import RunningSystem, start_system
from tests.fuzz.fuzzing import REPORTS


@pytest.fixture(scope="package")
def fuzz_system() -> Iterator[RunningSystem]:
    system = start_system(durable=False)
    try:
        yield system
    finally:
        system.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not REPORTS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("schemathesis")
    write(
        f"{'service':<10} {'caller':<10} {'requests':>8} {'operations':>10} "
        f"{'5xx':>4} {'violations':>10} {'seconds':>7}"
    )
    for report in REPORTS:
        write(
            f"{report.service:<10} {report.role:<10} {report.requests:>8} "
            f"{len(report.operations):>10} {report.server_errors:>4} {report.violations:>10} "
            f"{report.seconds:>7.1f}"
        )
    write(
        f"{'total':<21} {sum(r.requests for r in REPORTS):>8} "
        f"{len({(r.service, op) for r in REPORTS for op in r.operations}):>10} "
        f"{sum(r.server_errors for r in REPORTS):>4} {sum(r.violations for r in REPORTS):>10} "
        f"{sum(r.seconds for r in REPORTS):>7.1f}"
    )
    for report in REPORTS:
        for finding in report.distinct():
            write(f"[{report.service} as {report.role}] {finding.line()}")
