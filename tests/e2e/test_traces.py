"""One command's trace across the services (decision 0039): a counselor opens a path in
enrolment, and one trace id links the HTTP request, the command, the append and its SQL, the
relay's publish, and each subscribing service's consume and projector spans, and the log lines
written for it. The system writes its spans as JSON lines under its stack's `traces/`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from deploy.system import RunningSystem
from tests.support.api import open_path_body, wait_for_plan
from tests.support.identities import IdentityFactory
from tests.support.waiting import eventually

SUBSCRIBERS = ("tasks", "guidance", "reporting")
Span = dict[str, Any]


def json_lines(path: Path) -> list[dict[str, Any]]:
    """Every complete JSON line of a file another process is appending to."""
    if not path.exists():
        return []
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line being written, or a non-JSON line of a log
    return lines


def spans_in(system: RunningSystem, service: str, trace_id: str) -> list[Span]:
    path = system.infrastructure.root / "traces" / f"{service}.jsonl"
    return [span for span in json_lines(path) if span["trace_id"] == trace_id]


def one(spans: list[Span], what: str, **wanted: object) -> Span:
    found = [s for s in spans if all(s.get(k) == v for k, v in wanted.items())]
    assert found, f"no {what} span ({wanted}) among {[(s['name'], s['kind']) for s in spans]}"
    return found[0]


def test_one_trace_follows_a_command_into_every_consumer(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    client = identities.client()
    correlation_id = str(uuid4())
    response = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(client),
        headers={
            **counselor.headers,
            "Idempotency-Key": str(uuid4()),
            "X-Correlation-ID": correlation_id,
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    wait_for_plan(system, client)

    def command_span() -> Span | None:
        path = system.infrastructure.root / "traces" / "enrolment.jsonl"
        commands = [
            span
            for span in json_lines(path)
            if span["name"] == "command"
            and span["attributes"].get("digipolku.correlation_id") == correlation_id
        ]
        return commands[0] if commands else None

    command = eventually(command_span, timeout=10, what="the command's span in enrolment")
    trace_id = command["trace_id"]

    enrolment = spans_in(system, "enrolment", trace_id)
    server = one(enrolment, "HTTP server", kind="SERVER")
    assert server["attributes"].get("http.route") == "/pathways"
    assert command["parent_id"] is not None
    append = one(enrolment, "append", name="event store append", parent_id=command["span_id"])
    sql = one(enrolment, "asyncpg", kind="CLIENT", parent_id=append["span_id"])
    assert "append_events" in str(sql["attributes"].get("db.statement", sql["name"]))

    def published() -> list[Span] | None:
        spans = spans_in(system, "enrolment", trace_id)
        found = [s for s in spans if s["name"] == "relay publish"]
        return found or None

    publishes = eventually(published, timeout=10, what="the relay's publish span")
    assert {span["parent_id"] for span in publishes} == {append["span_id"]}
    assert all(span["kind"] == "PRODUCER" for span in publishes)
    publish_ids = {span["span_id"] for span in publishes}

    def consumed_everywhere() -> dict[str, list[Span]] | None:
        found = {name: spans_in(system, name, trace_id) for name in SUBSCRIBERS}
        complete = all(
            any(s["name"] == "consume events" for s in spans)
            and any(s["name"].startswith("project ") for s in spans)
            for spans in found.values()
        )
        return found if complete else None

    subscribers = eventually(consumed_everywhere, timeout=15, what="every subscriber's spans")
    for name, spans in subscribers.items():
        consume = one(spans, f"{name} consume", name="consume events", kind="CONSUMER")
        assert consume["parent_id"] in publish_ids, name
        assert consume["links"], f"{name}: the consume span links its batch's span"
        projected = [s for s in spans if s["name"].startswith("project ")]
        assert {s["parent_id"] for s in projected} <= {
            s["span_id"] for s in spans if s["name"] == "consume events"
        }, name

    def logged(service: str, **wanted: str) -> list[dict[str, Any]]:
        return [
            line
            for line in json_lines(system.log_of(service))
            if all(line.get(k) == v for k, v in wanted.items())
        ]

    request_lines = logged("enrolment", event="request handled", correlation_id=correlation_id)
    assert [line.get("trace_id") for line in request_lines] == [trace_id]
    assert logged("tasks", event="event consumed", trace_id=trace_id)
