"""The figures last computed for each group, kept while the tenant's figures have not moved.

Computing a group's figures reads every path of the tenant and works the cell-key method over
them: seconds at 10,000 paths (issue 15). The result depends only on the tenant's rows, the
group, the instruments and the record key, and the rows change only through the projection,
which gives the tenant a new revision with every batch it writes (migration reporting_0004).
So a group's figures are kept under that revision; a reader that finds a new revision computes
them again. Each process keeps its own; the oldest are let go past `size`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from uuid import UUID

from services.reporting.domain.figure_set import FigureSet


@dataclass
class FiguresCache:
    size: int = 512
    hits: int = 0
    misses: int = 0
    _kept: OrderedDict[Hashable, FigureSet] = field(default_factory=OrderedDict)

    def get(self, revision: UUID | None, key: Hashable) -> FigureSet | None:
        if revision is None:  # no rows of the tenant yet: nothing worth keeping
            return None
        found = self._kept.get((revision, key))
        if found is None:
            self.misses += 1
            return None
        self._kept.move_to_end((revision, key))
        self.hits += 1
        return found

    def put(self, revision: UUID | None, key: Hashable, figures: FigureSet) -> None:
        if revision is None:
            return
        self._kept[(revision, key)] = figures
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
