"""Small groups stay hidden: a figure about 1–4 people is not shown, nor can it be derived.

Primary suppression: a count of 1–4 people (or a figure built from 1–4 people) is hidden; zero
reveals nobody and is shown. Secondary suppression: published counts are tied together by sums
(a split adds up to its total, a funnel's drop between two stages is a difference), so hiding
one cell is not enough. `Disclosure` knows those ties and hides further cells until no hidden
cell can be worked out by subtraction and no difference of shown figures is a group of 1–4.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MIN_GROUP = 5


@dataclass(frozen=True)
class Figure:
    """A number as published: its value, or None with `suppressed` when it is hidden.

    `value` None with `suppressed` false means there is nothing to compute (no one yet).
    """

    value: int | float | None
    suppressed: bool


HIDDEN = Figure(None, True)
NOTHING = Figure(None, False)


def sensitive(count: int) -> bool:
    """A group of 1–4 people: it must be neither shown nor derivable."""
    return 0 < count < MIN_GROUP


def shown(count: int, people: int | None = None) -> Figure:
    """`count` as a figure, hidden when it rests on 1–4 people (zero reveals nobody)."""
    basis = count if people is None else people
    if sensitive(basis):
        return HIDDEN
    return Figure(count, False)


def measure(value: float | None, *bases: int, hide: bool = False) -> Figure:
    """A share, mean or median, hidden when any group it is built from has 1–4 people."""
    if hide or any(sensitive(basis) for basis in bases):
        return HIDDEN
    return NOTHING if value is None else Figure(value, False)


@dataclass(frozen=True)
class Partition:
    """`cells` split `total` without overlap and add up to it. Cells not meant for
    publication (`unpublished`) still count: they are derivable as total − the others."""

    total: str
    cells: Sequence[str]


@dataclass(frozen=True)
class Chain:
    """Nested counts, each a subset of the one before (a funnel's stages)."""

    stages: Sequence[str]


@dataclass
class Disclosure:
    """Counts of people, the sums that tie them, and which of them may be published."""

    counts: dict[str, int] = field(default_factory=dict)
    unpublished: set[str] = field(default_factory=set)
    partitions: list[Partition] = field(default_factory=list)
    chains: list[Chain] = field(default_factory=list)

    def count(self, key: str, value: int, *, published: bool = True) -> str:
        self.counts[key] = value
        if not published:
            self.unpublished.add(key)
        return key

    def partition(self, total: str, cells: Iterable[str]) -> None:
        self.partitions.append(Partition(total, list(cells)))

    def chain(self, stages: Iterable[str]) -> None:
        self.chains.append(Chain(list(stages)))

    def hidden(self) -> set[str]:
        """Every key that may not be published (unpublished keys included).

        Rules are applied again and again until none hides anything more; hiding only ever
        grows, so this ends, and at the end every rule holds at once.
        """
        hidden = {key for key, value in self.counts.items() if sensitive(value)}
        hidden |= self.unpublished
        changed = True
        while changed:
            before = len(hidden)
            for partition in self.partitions:
                hidden |= self._partition_hides(partition, hidden)
            for chain in self.chains:
                hidden |= self._chain_hides(chain, hidden)
            changed = len(hidden) != before
        return hidden

    def figure(self, key: str, hidden: set[str]) -> Figure:
        return HIDDEN if key in hidden else Figure(self.counts[key], False)

    def _partition_hides(self, partition: Partition, hidden: set[str]) -> set[str]:
        cells = list(partition.cells)
        if partition.total in hidden:
            return set(cells)  # the cells would add up to it
        out = [cell for cell in cells if cell in hidden]

        def safe() -> bool:
            # total − shown cells = the sum of the hidden ones: a lone hidden cell is exposed,
            # and hidden cells together must not form a group of 1–4.
            if not any(sensitive(self.counts[cell]) for cell in out):
                return True
            return len(out) >= 2 and sum(self.counts[cell] for cell in out) >= MIN_GROUP

        while not safe():
            shown_cells = [cell for cell in cells if cell not in out]
            if not shown_cells:
                break
            # The smallest non-empty cell first: least lost, and a zero adds no cover.
            shown_cells.sort(key=lambda cell: (self.counts[cell] == 0, self.counts[cell]))
            out.append(shown_cells[0])
        return set(out)

    def _chain_hides(self, chain: Chain, hidden: set[str]) -> set[str]:
        # Between two shown stages, the people who dropped out must be none or at least five.
        out: set[str] = set()
        last: int | None = None
        for stage in chain.stages:
            if stage in hidden:
                continue
            value = self.counts[stage]
            if last is not None and sensitive(last - value):
                out.add(stage)
                continue
            last = value
        return out
