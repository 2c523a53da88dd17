"""The shared HTTP edge, on a tiny app served by a real uvicorn on 127.0.0.1: refused text,
malformed bodies, the body size limit before any route or token check, and polite 500s that
keep the keep-alive connection."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel
from structlog.testing import capture_logs

from chassis.clean_text import CleanText
from chassis.http import install_problem_handlers
from chassis.http_edge import install_edge
from chassis.i18n import Catalogue
from chassis.logs import CORRELATION_HEADER
from chassis.settings import ServiceSettings

LIMIT = 4096
PROBLEM = "application/problem+json"


@dataclass
class Seen:
    """What the app did, so a test can tell that a route or a token check never ran."""

    token_checks: int = 0
    stored: list[str] = field(default_factory=list)


class Note(BaseModel):
    text: Annotated[str, CleanText(100, label="error.title")]
    title: Annotated[str, CleanText(20, single_line=True)] = ""


def signed_in(request: Request) -> str:
    """A stand-in for the token check: counts that it ran."""
    request.app.state.seen.token_checks += 1
    if request.headers.get("authorization") != "Bearer ok":
        raise HTTPException(401)
    return "someone"


def tiny_app(seen: Seen) -> FastAPI:
    catalogue = Catalogue.load()
    app = FastAPI()
    app.state.seen = seen
    # Development: production refuses the embedded defaults the rest of the settings keep.
    install_edge(app, catalogue, ServiceSettings(environment="development", max_body_bytes=LIMIT))
    install_problem_handlers(app, catalogue)

    @app.post("/notes")
    async def write(note: Note, who: Annotated[str, Depends(signed_in)]) -> dict[str, str]:
        seen.stored.append(note.text)
        return {"text": note.text}

    @app.get("/port")
    async def port(request: Request) -> dict[str, int]:
        assert request.client is not None
        return {"port": request.client.port}

    @app.get("/boom")
    async def boom() -> dict[str, str]:
        raise RuntimeError("an unexpected bug")

    return app


@dataclass
class Served:
    url: str
    port: int
    seen: Seen


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    seen = Seen()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # A short graceful shutdown: a failing test may leave a half-sent request open.
    config = uvicorn.Config(
        tiny_app(seen), log_level="warning", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn's Server offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        yield Served(f"http://127.0.0.1:{port}", port, seen)
    finally:
        server.should_exit = True
        await task
        sock.close()


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers[CORRELATION_HEADER.lower()]
    body: dict[str, object] = response.json()
    assert body["code"] == code and body["status"] == status
    return body


async def test_refused_text_names_the_field_in_finnish_and_swedish(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, headers={"Authorization": "Bearer ok"}) as c:
        fi = assert_problem(
            await c.post("/notes", json={"text": "a\u0000b"}), 422, "error.invalid_text"
        )
        sv = assert_problem(
            await c.post("/notes", json={"text": "a\u0000b"}, headers={"Accept-Language": "sv"}),
            422,
            "error.invalid_text",
        )
        bidi = assert_problem(
            await c.post("/notes", json={"text": "abc\u202edef"}), 422, "error.invalid_text"
        )
        line = assert_problem(
            await c.post("/notes", json={"text": "ok", "title": "a\nb"}), 422, "error.invalid_text"
        )
        stored = await c.post("/notes", json={"text": "a\u0308iti\r\n"})
    # The field's translated label (here the catalogue's "error.title" stands in for one).
    assert fi["detail"] == (
        "Kentässä ”Pyyntöä ei voitu käsitellä” on ohjausmerkki (U+0000), jota ei voi tallentaa. "
        "Poista se ja yritä uudelleen."
    )
    assert "styrtecken (U+0000)" in str(sv["detail"])
    assert "(U+202E)" in str(bidi["detail"])
    assert "”title”" in str(line["detail"]) and "rivinvaihto" in str(line["detail"])
    assert fi["errors"] == [{"field": "text", "type": "text.control_character"}]
    assert stored.json() == {"text": "äiti\n"}
    assert served.seen.stored == ["äiti\n"]


async def test_invalid_utf8_is_a_malformed_request(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url) as c:
        response = await c.post(
            "/notes",
            content=b'{"text": "\xff\xfe"}',
            headers={"Content-Type": "application/json", "Authorization": "Bearer ok"},
        )
    body = assert_problem(response, 400, "error.malformed_request")
    assert "UTF-8" in str(body["detail"])
    assert served.seen.stored == []


async def test_a_declared_oversize_body_is_refused_before_it_is_read_or_a_token_checked(
    served: Served,
) -> None:
    # Declares 50 MB and sends a few bytes: an answer that waited for the body would hang.
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    started = time.perf_counter()
    writer.write(
        b"POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 52428800\r\n\r\n{"text": "'
    )
    await writer.drain()
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
    finally:
        writer.close()
    elapsed = time.perf_counter() - started
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"application/problem+json" in head
    assert b"x-correlation-id" in head.lower()
    assert elapsed < 2
    assert served.seen.token_checks == 0


async def test_an_oversize_body_with_its_length_is_413_without_a_token(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url) as c:
        response = await c.post("/notes", json={"text": "x" * (LIMIT * 2)})
    assert_problem(response, 413, "error.too_large")
    assert served.seen.token_checks == 0


async def test_a_chunked_oversize_body_is_cut_at_the_limit(served: Served) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"text": "'
        for _ in range(64):  # 64 KiB, sixteen times the limit, without a Content-Length
            sent += 1024
            yield b"x" * 1024
        yield b'"}'

    async with httpx.AsyncClient(base_url=served.url, headers={"Authorization": "Bearer ok"}) as c:
        response = await c.post("/notes", content=chunks())
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "error.too_large")
    assert served.seen.stored == []


async def test_a_body_within_the_limit_is_served(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, headers={"Authorization": "Bearer ok"}) as c:
        response = await c.post("/notes", json={"text": "x" * 100})
    assert response.status_code == 200, response.text


async def test_a_server_error_is_polite_logged_once_and_keeps_the_connection(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    async with httpx.AsyncClient(base_url=served.url) as c:
        before = (await c.get("/port")).json()["port"]
        with capture_logs() as logs:
            response = await c.get(
                "/boom", headers={CORRELATION_HEADER: "0193a4b2-0000-7000-8000-000000000001"}
            )
        after = (await c.get("/port")).json()["port"]
    body = assert_problem(response, 500, "error.internal")
    assert response.headers[CORRELATION_HEADER.lower()] == "0193a4b2-0000-7000-8000-000000000001"
    assert "an unexpected bug" not in response.text and "Traceback" not in response.text
    assert body["instance"] == "/boom"
    # The same TCP connection served the request after the error.
    assert after == before
    errors = [entry for entry in logs if entry["log_level"] == "error"]
    assert [entry["event"] for entry in errors] == ["unexpected error"]
    assert errors[0].get("exc_info")
    # uvicorn saw nothing to report: the error was answered and not raised further.
    assert [r for r in caplog.records if r.name.startswith("uvicorn")] == []
