"""How a topic on the broker compares with its declaration in contracts/topics.py.

A service creates a missing topic with its declared configuration; an existing topic that
differs is reported (logged as a warning by `ensure_topics`), not altered (decision 0026):
in production the topics belong to Strimzi's topic operator, which builds them from the same
declaration and would undo a change made behind its back, and a partition count cannot be
changed without moving paths to other partitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from contracts.topics import DeclaredTopic


@dataclass(frozen=True)
class ObservedTopic:
    """What the broker says about one existing topic."""

    name: str
    partitions: int
    replication_factor: int
    # Only the settings the declaration names; a missing key was not reported by the broker.
    configs: Mapping[str, str]


def topic_differences(declared: DeclaredTopic, observed: ObservedTopic) -> list[str]:
    """Each way `observed` differs from `declared`, in words (empty: as declared)."""
    found: list[str] = []
    if observed.partitions != declared.partitions:
        found.append(
            f"{declared.name}: {observed.partitions} partitions, declared {declared.partitions}"
        )
    if observed.replication_factor != declared.replication_factor:
        found.append(
            f"{declared.name}: replication factor {observed.replication_factor},"
            f" declared {declared.replication_factor}"
        )
    for key, wanted in sorted(declared.configs.items()):
        actual = observed.configs.get(key)
        if actual != wanted:
            shown = "not set" if actual is None else repr(actual)
            found.append(f"{declared.name}: {key} is {shown}, declared {wanted!r}")
    return found
