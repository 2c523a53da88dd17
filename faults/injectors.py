"""Doing each fault to a running system, and undoing the ones that last.

Kills and the broker's and PostgreSQL's deaths are undone by the local stack's supervisor
(deploy/supervisor.py), as Kubernetes would; the harness only heals what a supervisor
cannot see: the proxies' faults and a paused process.
"""

from __future__ import annotations

import signal
import time

from deploy.system import RunningSystem
from faults.schedule import RELAY_HOSTS, Fault, Kind


def inject(system: RunningSystem, fault: Fault) -> int:
    """Do the fault; returns how many relays it killed (those run inside the services)."""
    match fault.kind:
        case Kind.KILL:
            system.kill(fault.target, signal.SIGKILL)
            return 1 if fault.target in RELAY_HOSTS else 0
        case Kind.BROKER_RESTART:
            system.kill("kafka", signal.SIGKILL)  # memory-only: it comes back empty
        case Kind.POSTGRES_IMMEDIATE:
            system.infrastructure.postgres.stop_immediate()
        case Kind.PROXY_DROP:
            system.proxies[fault.target].drop_connections()
        case Kind.PROXY_DELAY:
            system.proxies[fault.target].delay(fault.delay)
        case Kind.PROXY_HANG:
            system.proxies[fault.target].hang()
        case Kind.PAUSE:
            system.kill(fault.target, signal.SIGSTOP)
    return 0


def heal(system: RunningSystem, fault: Fault) -> None:
    """Undo a fault that lasts, after its hold; the others heal themselves."""
    match fault.kind:
        case Kind.PROXY_DELAY | Kind.PROXY_HANG:
            system.proxies[fault.target].heal()
        case Kind.PAUSE:
            system.kill(fault.target, signal.SIGCONT)


def inject_and_hold(system: RunningSystem, fault: Fault) -> int:
    relays = inject(system, fault)
    try:
        if fault.hold:
            time.sleep(fault.hold)
    finally:
        heal(system, fault)
    return relays


def heal_everything(system: RunningSystem) -> None:
    """Whatever a run interrupted leaves nothing broken behind: every proxy passes, no
    process stays paused."""
    for proxy in system.proxies.values():
        proxy.heal()
    for name in system.processes:
        if system.process(name).alive():
            system.kill(name, signal.SIGCONT)
