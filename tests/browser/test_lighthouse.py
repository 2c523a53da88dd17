"""The client's pages on a cheap phone (issue 17, item 5; decision 0044): Lighthouse with its
default mobile emulation and throttling on the week page, a task page and the
self-assessment of a signed-in client; the same targets `make bench` prints."""

from __future__ import annotations

from bench.lighthouse import audit_client_pages
from deploy.system import RunningSystem
from tests.support.identities import IdentityFactory


def test_client_pages_score_on_a_throttled_phone(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    scores = audit_client_pages(system, identities)
    missed = {
        score.name: (score.shortfalls(), score.short_of_full)
        for score in scores
        if score.shortfalls()
    }
    assert not missed, f"short of the targets (and the audits short of full marks): {missed}"
