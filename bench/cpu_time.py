"""Where a measured run's time went: CPU seconds of this process, PostgreSQL and the broker.

On two cores a catch-up's Python process, PostgreSQL's backend and the broker take turns on
the same processors, so its rate is bounded by their sum, not by any one of them. Read from
/proc (Linux), counting each process tree's live processes and the children its processes
have reaped (a PostgreSQL backend that has ended is counted by the postmaster that reaped it).
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children), None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = text[text.rindex(")") + 2 :].split()
    parent = int(fields[1])
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return parent, (utime + stime + cutime + cstime) / TICKS


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of `root` and every process descending from it."""
    parents: dict[int, int] = {}
    seconds: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := _stat(int(entry.name))) is not None:
            parents[int(entry.name)], seconds[int(entry.name)] = found

    def descends(pid: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parents.get(pid, 0)
        return False

    return sum(cpu for pid, cpu in seconds.items() if descends(pid))


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class CpuShares:
    """CPU seconds spent by each part during `wall` seconds."""

    wall: float
    parts: dict[str, float]

    def line(self) -> str:
        spent = ", ".join(f"{name} {cpu:.1f} s" for name, cpu in self.parts.items())
        total = sum(self.parts.values())
        return (
            f"    CPU over {self.wall:.1f} s: {spent}; together {total:.1f} s of the "
            f"{os.cpu_count()} cores' {self.wall * (os.cpu_count() or 1):.1f} s"
        )


class CpuMeter:
    """Started before a measured run and read after it."""

    def __init__(self, trees: dict[str, int]) -> None:
        self._trees = trees
        self._start = self._read()

    def _read(self) -> dict[str, float]:
        read = {"this Python process": own_cpu_seconds()}
        read.update({name: tree_cpu_seconds(pid) for name, pid in self._trees.items()})
        return read

    def shares(self, wall: float) -> CpuShares:
        now = self._read()
        return CpuShares(wall, {name: now[name] - self._start[name] for name in now})
