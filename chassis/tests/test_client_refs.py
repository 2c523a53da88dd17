"""Tasks and guidance learn a client's reference from enrolment, and remember it only as long
as the token lives (at most five minutes), keyed by the token's hash."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from chassis.client_refs import EnrolmentClientRefs, PeerUnavailable, StaffOnly
from chassis.errors import Forbidden, Unauthorized

NOW = 1_800_000_000.0


class Enrolment:
    """Answers `GET /me/reference` as enrolment does, counting the questions."""

    def __init__(self) -> None:
        self.refs: dict[str, str] = {"token-a": "c-" + "a" * 32}
        self.status: int | None = None
        self.seen: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.status is not None:
            return httpx.Response(self.status)
        token = request.headers["authorization"].removeprefix("Bearer ")
        if token not in self.refs:
            return httpx.Response(404, json={"code": "error.not_found"})
        return httpx.Response(200, json={"client_ref": self.refs[token]})


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def enrolment() -> Enrolment:
    return Enrolment()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def resolver(enrolment: Enrolment, clock: Clock, **options: object) -> EnrolmentClientRefs:
    return EnrolmentClientRefs(
        "http://enrolment.test",
        transport=httpx.MockTransport(enrolment.handle),
        wall_clock=clock,
        **options,  # type: ignore[arg-type]
    )


def claims(expires_in: float) -> dict[str, object]:
    return {"exp": int(NOW + expires_in), "tenant": "kanta-hame"}


async def test_the_token_is_forwarded_to_enrolment_and_its_answer_kept(
    enrolment: Enrolment, clock: Clock
) -> None:
    refs = resolver(enrolment, clock)
    assert await refs.client_ref_for(claims(3600), "token-a") == "c-" + "a" * 32
    assert await refs.client_ref_for(claims(3600), "token-a") == "c-" + "a" * 32
    assert len(enrolment.seen) == 1
    assert str(enrolment.seen[0].url) == "http://enrolment.test/me/reference"
    assert enrolment.seen[0].headers["authorization"] == "Bearer token-a"


async def test_the_cache_holds_the_tokens_hash_not_the_token(
    enrolment: Enrolment, clock: Clock
) -> None:
    refs = resolver(enrolment, clock)
    await refs.client_ref_for(claims(3600), "token-a")
    assert list(refs._cache) == [hashlib.sha256(b"token-a").hexdigest()]


async def test_an_answer_is_kept_no_longer_than_the_token_lives(
    enrolment: Enrolment, clock: Clock
) -> None:
    refs = resolver(enrolment, clock)
    await refs.client_ref_for(claims(60), "token-a")
    clock.now = NOW + 59
    await refs.client_ref_for(claims(60), "token-a")
    assert len(enrolment.seen) == 1
    clock.now = NOW + 61
    await refs.client_ref_for(claims(60), "token-a")
    assert len(enrolment.seen) == 2


async def test_an_answer_is_kept_at_most_five_minutes_however_long_the_token(
    enrolment: Enrolment, clock: Clock
) -> None:
    refs = resolver(enrolment, clock)
    await refs.client_ref_for(claims(86_400), "token-a")
    clock.now = NOW + 299
    await refs.client_ref_for(claims(86_400), "token-a")
    assert len(enrolment.seen) == 1
    clock.now = NOW + 301
    await refs.client_ref_for(claims(86_400), "token-a")
    assert len(enrolment.seen) == 2


async def test_no_path_is_none_and_not_remembered(enrolment: Enrolment, clock: Clock) -> None:
    refs = resolver(enrolment, clock)
    assert await refs.client_ref_for(claims(3600), "token-b") is None
    enrolment.refs["token-b"] = "c-" + "b" * 32  # the counselor opens the path a moment later
    assert await refs.client_ref_for(claims(3600), "token-b") == "c-" + "b" * 32


async def test_the_cache_is_bounded_and_drops_the_least_recently_used(
    enrolment: Enrolment, clock: Clock
) -> None:
    enrolment.refs.update({f"token-{n}": f"c-{n:032d}" for n in range(3)})
    refs = resolver(enrolment, clock, max_entries=2)
    for n in range(3):
        await refs.client_ref_for(claims(3600), f"token-{n}")
    assert len(refs._cache) == 2
    asked = len(enrolment.seen)
    await refs.client_ref_for(claims(3600), "token-0")  # dropped: asked again
    assert len(enrolment.seen) == asked + 1


@pytest.mark.parametrize(
    ("status", "error"), [(401, Unauthorized), (403, Forbidden), (500, PeerUnavailable)]
)
async def test_enrolments_refusal_or_failure_is_passed_on(
    enrolment: Enrolment, clock: Clock, status: int, error: type[Exception]
) -> None:
    enrolment.status = status
    with pytest.raises(error):
        await resolver(enrolment, clock).client_ref_for(claims(3600), "token-a")


async def test_an_unreachable_enrolment_is_a_503() -> None:
    refs = EnrolmentClientRefs("http://127.0.0.1:9", timeout=0.5)  # nothing listens there
    with pytest.raises(PeerUnavailable) as refused:
        await refs.client_ref_for(claims(3600), "token-a")
    assert refused.value.status == 503


async def test_a_staff_only_service_refuses_every_client() -> None:
    with pytest.raises(Forbidden):
        await StaffOnly().client_ref_for(claims(3600), "token-a")
