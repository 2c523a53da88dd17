"""The history the checker judges: every command a service acknowledged (2xx), as the
simulator's driver saw it, with the moment it was acknowledged."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from simulator.driver import Acknowledged, Endpoints


@dataclass(frozen=True)
class Command:
    service: str  # the service whose store must hold it
    method: str
    path: str
    idempotency_key: str  # as the driver sent it (the store scopes it by command and actor)
    status: int
    attempts: int
    acknowledged_at: float  # time.monotonic()


class CommandLog:
    """Appended to by the traffic's thread, read by the checker once the traffic stopped."""

    def __init__(self, endpoints: Endpoints) -> None:
        self._bases = {
            "enrolment": endpoints.enrolment,
            "tasks": endpoints.tasks,
            "guidance": endpoints.guidance,
        }
        self._lock = threading.Lock()
        self._commands: list[Command] = []

    def record(self, acknowledged: Acknowledged) -> None:
        service, path = self._service_of(acknowledged.url)
        command = Command(
            service,
            acknowledged.method,
            path,
            acknowledged.idempotency_key,
            acknowledged.status,
            acknowledged.attempts,
            acknowledged.acknowledged_at,
        )
        with self._lock:
            self._commands.append(command)

    def commands(self) -> list[Command]:
        with self._lock:
            return list(self._commands)

    def __len__(self) -> int:
        with self._lock:
            return len(self._commands)

    def _service_of(self, url: str) -> tuple[str, str]:
        for service, base in self._bases.items():
            if url.startswith(base + "/"):
                return service, url[len(base) :]
        raise ValueError(f"a command to no known service: {url}")
