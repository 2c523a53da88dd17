"""Which faults, in which order, with which pauses: drawn once from the seed (pure).

Faults come one at a time: each is injected at a random moment of the traffic, held (if it
lasts), healed, and the system's recovery measured before the next one, so every loss,
duplicate or reordering the checker finds can be laid at one fault's door.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

SERVICES = ("enrolment", "tasks", "guidance", "reporting")
# Services whose process also runs their store's relay (chassis.service): a SIGKILL of one
# of these kills a relay too.
RELAY_HOSTS = ("enrolment", "tasks", "guidance")
# The consumers: a service paused past the consumer session timeout (aiokafka's 10 s) is
# dropped from its group, which rebalances; when it resumes it must rejoin.
CONSUMERS = ("tasks", "guidance", "reporting")
PROXIED = ("kafka", "postgres")


class Kind(StrEnum):
    KILL = "kill"  # SIGKILL of a service process (and the relay inside it)
    BROKER_RESTART = "broker-restart"  # the memory broker killed: it comes back empty
    POSTGRES_IMMEDIATE = "postgres-immediate"  # pg_ctl stop -m immediate, then back
    PROXY_DROP = "proxy-drop"  # every connection through the proxy cut
    PROXY_DELAY = "proxy-delay"  # every byte through the proxy late
    PROXY_HANG = "proxy-hang"  # connections open, nothing passes
    PAUSE = "pause"  # SIGSTOP past the session timeout, then SIGCONT


@dataclass(frozen=True)
class Fault:
    kind: Kind
    target: str  # a service, "kafka" or "postgres"
    hold: float  # seconds the fault lasts before it is healed (0: instantaneous)
    gap: float  # seconds of undisturbed traffic before it is injected
    delay: float = 0.0  # PROXY_DELAY: seconds added to each direction

    @property
    def name(self) -> str:
        """The row of the report: the kind and what it hit."""
        return f"{self.kind.value} {self.target}"


@dataclass(frozen=True)
class Plan:
    """How many of each: `kills` per service, `others` of every other kind per target."""

    kills: int = 20
    others: int = 5
    gap: tuple[float, float] = (1.0, 6.0)
    hold: tuple[float, float] = (2.0, 8.0)
    pause_hold: tuple[float, float] = (14.0, 20.0)  # past the 10 s session timeout
    delay: tuple[float, float] = (0.2, 1.5)


def schedule(seed: int, plan: Plan) -> list[Fault]:
    """Every fault of the plan in a seeded order, with seeded gaps and holds."""
    rng = random.Random(seed)

    def between(bounds: tuple[float, float]) -> float:
        return round(rng.uniform(*bounds), 2)

    drawn: list[tuple[Kind, str]] = []
    drawn += [(Kind.KILL, service) for service in SERVICES for _ in range(plan.kills)]
    drawn += [(Kind.BROKER_RESTART, "kafka")] * plan.others
    drawn += [(Kind.POSTGRES_IMMEDIATE, "postgres")] * plan.others
    for kind in (Kind.PROXY_DROP, Kind.PROXY_DELAY, Kind.PROXY_HANG):
        drawn += [(kind, target) for target in PROXIED for _ in range(plan.others)]
    drawn += [(Kind.PAUSE, rng.choice(CONSUMERS)) for _ in range(plan.others)]
    rng.shuffle(drawn)
    faults = []
    for kind, target in drawn:
        hold = 0.0
        delay = 0.0
        if kind is Kind.PAUSE:
            hold = between(plan.pause_hold)
        elif kind in (Kind.PROXY_DELAY, Kind.PROXY_HANG):
            hold = between(plan.hold)
        if kind is Kind.PROXY_DELAY:
            delay = between(plan.delay)
        faults.append(Fault(kind, target, hold, between(plan.gap), delay))
    return faults


def only(faults: list[Fault], kinds: set[Kind]) -> list[Fault]:
    """The schedule less the kinds left out (a short run, or parts not there yet)."""
    return [fault for fault in faults if fault.kind in kinds]
