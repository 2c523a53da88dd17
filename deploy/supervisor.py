"""A supervisor for the local stack: a process that exits without being asked to is started
again with back-off and awaited until it is ready, as Kubernetes restarts a container.

Back-off: 0.5 s before the first restart, doubling with every further death to at most 10 s,
and back to 0.5 s once the process has stayed up 30 s (Kubernetes uses 10 s to 5 min and
10 min; the local stack is scaled down so that a fault run recovers in seconds).

A process stopped on purpose (`ManagedProcess.stop`, also by `RunningSystem.stop`, which
stops the supervisor first) is never restarted. A process killed by a signal, or PostgreSQL
stopped in immediate mode, is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from deploy.local_stack import ManagedProcess

FIRST_DELAY = 0.5
MAX_DELAY = 10.0
RESET_AFTER = 30.0
_POLL = 0.1


@dataclass(frozen=True)
class Restart:
    """One death and return of a supervised process.

    `died_at`/`back_at` are `time.monotonic()` (for durations), `died_at_wall`/`back_at_wall`
    `time.time()` (for logs and reports). `back_at` is when it answered its readiness check
    again, not when it was started.
    """

    name: str
    exit_code: int | None
    died_at: float
    back_at: float
    died_at_wall: float
    back_at_wall: float
    delay: float

    @property
    def downtime(self) -> float:
        return self.back_at - self.died_at


@dataclass
class Supervised:
    """A process and how to tell it is ready again after a restart."""

    process: ManagedProcess
    ready: Callable[[], bool]


@dataclass
class _Track:
    delay: float = FIRST_DELAY
    up_since: float = 0.0
    busy: bool = False


class Supervisor(threading.Thread):
    """Watches processes and restarts those that die; `restarts` records each return.

    `on_restart` is called (in a supervisor thread) with each completed restart, and
    `on_death` with the name, exit code and back-off delay as soon as a death is seen.
    """

    def __init__(
        self,
        watched: dict[str, Supervised],
        *,
        on_death: Callable[[str, int | None, float], None] | None = None,
        on_restart: Callable[[Restart], None] | None = None,
    ) -> None:
        super().__init__(name="supervisor", daemon=True)
        self.watched = watched
        self.restarts: list[Restart] = []
        self.on_death = on_death
        self.on_restart = on_restart
        self._held: set[str] = set()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        now = time.monotonic()
        self._tracks = {name: _Track(up_since=now) for name in watched}
        self._workers: list[threading.Thread] = []

    # -- public ----------------------------------------------------------------------------

    def stop(self, timeout: float = 30.0) -> None:
        """Stop watching; a restart under way finishes its start first, then ends."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)
        for worker in list(self._workers):
            worker.join(timeout)

    def hold(self, name: str) -> None:
        """Leave `name` down if it dies (an outage that lasts until `release`)."""
        with self._lock:
            self._held.add(name)

    def release(self, name: str) -> None:
        """Supervise `name` again: if it is down, its restart begins now."""
        with self._lock:
            self._held.discard(name)

    def restarts_of(self, name: str) -> list[Restart]:
        with self._lock:
            return [r for r in self.restarts if r.name == name]

    def restarting(self) -> list[str]:
        """Names of processes that died and are not ready again yet."""
        with self._lock:
            return [name for name, track in self._tracks.items() if track.busy]

    def wait_all_back(self, timeout: float) -> bool:
        """True once every watched process runs and no restart is under way."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.restarting() and all(s.process.alive() for s in self.watched.values()):
                return True
            time.sleep(0.1)
        return False

    # -- the watch -------------------------------------------------------------------------

    def run(self) -> None:
        while not self._stopping.wait(_POLL):
            for name, supervised in self.watched.items():
                process = supervised.process
                track = self._tracks[name]
                if track.busy or process.stopped or name in self._held or process.alive():
                    continue
                self._begin(name, supervised, track)

    def _begin(self, name: str, supervised: Supervised, track: _Track) -> None:
        died_at, died_at_wall = time.monotonic(), time.time()
        if died_at - track.up_since >= RESET_AFTER:
            track.delay = FIRST_DELAY
        delay = track.delay
        track.delay = min(track.delay * 2, MAX_DELAY)
        exit_code = supervised.process.exit_code()
        with self._lock:
            track.busy = True
        if self.on_death is not None:
            self.on_death(name, exit_code, delay)
        worker = threading.Thread(
            target=self._restart,
            args=(name, supervised, track, exit_code, delay, died_at, died_at_wall),
            name=f"restart-{name}",
            daemon=True,
        )
        self._workers = [w for w in self._workers if w.is_alive()] + [worker]
        worker.start()

    def _restart(
        self,
        name: str,
        supervised: Supervised,
        track: _Track,
        exit_code: int | None,
        delay: float,
        died_at: float,
        died_at_wall: float,
    ) -> None:
        try:
            if self._stopping.wait(delay) or supervised.process.stopped:
                return
            supervised.process.respawn()
            track.up_since = time.monotonic()
            if not self._await_ready(supervised):
                return  # died again or we are stopping: the watch sees to it
            restart = Restart(
                name=name,
                exit_code=exit_code,
                died_at=died_at,
                back_at=time.monotonic(),
                died_at_wall=died_at_wall,
                back_at_wall=time.time(),
                delay=delay,
            )
            with self._lock:
                self.restarts.append(restart)
            if self.on_restart is not None:
                self.on_restart(restart)
        finally:
            with self._lock:
                track.busy = False

    def _await_ready(self, supervised: Supervised) -> bool:
        """Until ready: a service waits for its database and broker, so there is no limit
        but the supervisor's own life and the process's."""
        while not self._stopping.is_set():
            if not supervised.process.alive():
                return False
            try:
                if supervised.ready():
                    return True
            except Exception:  # a probe that fails is "not yet"
                pass
            self._stopping.wait(0.2)
        return False
