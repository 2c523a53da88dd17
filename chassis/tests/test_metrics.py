"""The metrics' own rules: requests labelled by route template (never by the raw path), the
consumer's lag in all and per tenant, a relay's backlog from its saved position, and the
rebuild gauges following a rebuild's progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from chassis.consumer_lag import ALL_TENANTS, Behind, PartitionLag, lag_by_tenant
from chassis.event_store import GlobalPosition, PostgresEventStore
from chassis.metrics.http import UNMATCHED, HttpMetricsMiddleware
from chassis.metrics.relay_backlog import EVENT_STORE, OUTBOX, Backlog, relay_backlog
from chassis.metrics.scrape import MetricsSampler, Sampled, metrics_router
from chassis.outbox import Outbox, OutboxMessage
from chassis.rebuild_progress import RebuildProgress
from chassis.relay import RelayCheckpoints
from chassis.tests.factories import envelope

SERVICE = "metrics-test"


def _requests(method: str, route: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "digipolku_http_requests_total",
        {"service": SERVICE, "method": method, "route": route, "status": status},
    )
    return value or 0.0


class RefuseWrites:
    """Stands for the edge's rate limit: answers a write before any route runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "DELETE":
            await PlainTextResponse("slow down", status_code=429)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"thing_id": thing_id}

    @app.delete("/things/{thing_id}")
    async def forget(thing_id: str) -> None:
        return None

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("broken on purpose")

    app.add_middleware(RefuseWrites)
    app.add_middleware(HttpMetricsMiddleware, service=SERVICE, routes=app.router.routes)
    app.include_router(metrics_router(MetricsSampler(_nothing_sampled())))
    return app


def _nothing_sampled() -> Sampled:
    return Sampled(
        service=SERVICE,
        pool=lambda: None,
        relays=lambda: [],
        consumer_lag=lambda: None,
        projections=lambda: [],
    )


def test_requests_are_counted_by_route_template_method_and_status() -> None:
    client = TestClient(_app(), raise_server_exceptions=False)
    template = "/things/{thing_id}"
    before = {
        "ok": _requests("GET", template, "200"),
        "refused": _requests("DELETE", template, "429"),
        "unmatched": _requests("GET", UNMATCHED, "404"),
        "broken": _requests("GET", "/broken", "500"),
        "other": _requests("other", UNMATCHED, "404"),
    }
    for thing_id in ("a1", "b2", "c3"):
        assert client.get(f"/things/{thing_id}").status_code == 200
    # Refused before routing: still counted under the route it was meant for.
    assert client.delete("/things/a1").status_code == 429
    for path in ("/nothing/here", "/or/here/either"):
        assert client.get(path).status_code == 404
    assert client.get("/broken").status_code == 500
    assert client.request("BREW", "/pot").status_code == 404
    assert _requests("GET", template, "200") == before["ok"] + 3
    assert _requests("DELETE", template, "429") == before["refused"] + 1
    assert _requests("GET", UNMATCHED, "404") == before["unmatched"] + 2
    assert _requests("GET", "/broken", "500") == before["broken"] + 1
    assert _requests("other", UNMATCHED, "404") == before["other"] + 1
    # No series carries a raw id.
    routes = {
        sample.labels["route"]
        for metric in REGISTRY.collect()
        if metric.name == "digipolku_http_requests"
        for sample in metric.samples
        if sample.labels.get("service") == SERVICE
    }
    assert not any(thing_id in route for route in routes for thing_id in ("a1", "b2", "c3"))


def test_metrics_are_text_for_prometheus_and_not_counted_themselves() -> None:
    client = TestClient(_app())
    before = _requests("GET", "/metrics", "200")
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE digipolku_http_requests_total counter" in answer.text
    assert _requests("GET", "/metrics", "200") == before == 0


NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def test_lag_in_all_and_per_tenant_comes_from_the_partitions_that_carry_the_tenant() -> None:
    partitions = [
        PartitionLag(5, _ago(30), frozenset({"pirkanmaa"})),
        PartitionLag(2, _ago(90), frozenset({"pirkanmaa", "kanta-hame"})),
        PartitionLag(0, _ago(600), frozenset({"lappi"})),  # caught up: its age says nothing
    ]
    assert lag_by_tenant(partitions, NOW) == {
        ALL_TENANTS: Behind(7, 90.0),
        "kanta-hame": Behind(2, 90.0),
        "lappi": Behind(0, 0.0),
        "pirkanmaa": Behind(7, 90.0),
    }


def test_lag_is_zero_everywhere_when_nothing_waits() -> None:
    partitions = [
        PartitionLag(0, _ago(3600), frozenset({"pirkanmaa"})),
        PartitionLag(0, None, frozenset()),
    ]
    lags = lag_by_tenant(partitions, NOW)
    assert set(lags) == {ALL_TENANTS, "pirkanmaa"}
    assert all(behind == Behind(0, 0.0) for behind in lags.values())


def test_a_partition_waiting_with_no_event_handled_yet_has_no_age_to_report() -> None:
    # Only refused records were handled there: the count is known, the age is not.
    assert lag_by_tenant([PartitionLag(3)], NOW) == {ALL_TENANTS: Behind(3, 0.0)}


async def test_the_relay_backlog_is_what_follows_its_saved_position(
    pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    assert (await relay_backlog(pool, "events-relay", EVENT_STORE)).events == 0
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    for n in range(3):
        event = envelope(f"s-{n}").model_copy(update={"occurred_at": an_hour_ago})
        await store.append([event], expected_version=0)
    backlog = await relay_backlog(pool, "events-relay", EVENT_STORE)
    assert backlog.events == 3
    assert 3590 <= backlog.seconds <= 3700
    published = await store.read_all(GlobalPosition.start())
    await RelayCheckpoints(pool, "events-relay").save(published[1].position)
    assert (await relay_backlog(pool, "events-relay", EVENT_STORE)).events == 1
    await RelayCheckpoints(pool, "events-relay").save(published[-1].position)
    assert await relay_backlog(pool, "events-relay", EVENT_STORE) == Backlog(0, 0.0)
    # Another relay of the same database keeps its own position.
    assert (await relay_backlog(pool, "other-relay", EVENT_STORE)).events == 3


async def test_the_outbox_backlog_counts_its_own_rows(pool: asyncpg.Pool) -> None:
    outbox = Outbox(pool)
    message = OutboxMessage(envelope("s").event_id, "public.topic", b"k", b"v")
    await outbox.add(message)
    backlog = await relay_backlog(pool, "outbox-relay", OUTBOX)
    assert backlog.events == 1 and 0 <= backlog.seconds < 60
    stored = await outbox.read_all(GlobalPosition.start())
    await RelayCheckpoints(pool, "outbox-relay").save(stored[0].position)
    assert (await relay_backlog(pool, "outbox-relay", OUTBOX)).events == 0


def test_the_rebuild_gauges_follow_the_progress() -> None:
    def gauge(name: str) -> float | None:
        return REGISTRY.get_sample_value(name, {"projection": "metrics-test-projection"})

    with RebuildProgress("metrics-test-projection", terminal=False) as progress:
        progress.update(10, 400)
        assert gauge("digipolku_rebuild_events_replayed") == 10
        assert gauge("digipolku_rebuild_events_total") == 400
        progress.update(400, 400)
    assert gauge("digipolku_rebuild_events_replayed") == 400
