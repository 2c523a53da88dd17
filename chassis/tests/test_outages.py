"""Outages are 503s, bugs stay 500s (decision 0028): which failures count as a dependency out
of reach, and how a service answers them, to an API client and to a browser."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from chassis.http import install_problem_handlers
from chassis.http_edge import install_edge
from chassis.i18n import Catalogue
from chassis.outages import is_outage
from chassis.settings import ServiceSettings
from deploy.local_stack import free_port


def _caused_by(cause: BaseException) -> RuntimeError:
    try:
        raise RuntimeError("while storing") from cause
    except RuntimeError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError(),
        OSError("Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 1)"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.InterfaceError("connection is closed"),
        httpx.ConnectError("refused"),
        _caused_by(ConnectionRefusedError()),
        ExceptionGroup("several", [ValueError("x"), ConnectionResetError()]),
    ],
    ids=repr,
)
def test_these_are_outages(error: BaseException) -> None:
    assert is_outage(error)


@pytest.mark.parametrize(
    "error",
    [
        FileNotFoundError(2, "No such file"),
        PermissionError(13, "Permission denied"),
        OSError("something else"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        RuntimeError("a bug"),
    ],
    ids=repr,
)
def test_these_are_bugs(error: BaseException) -> None:
    assert not is_outage(error)


def tiny_app() -> FastAPI:
    catalogue = Catalogue.load()
    app = FastAPI()
    install_edge(app, catalogue, ServiceSettings(environment="development"))
    install_problem_handlers(app, catalogue)
    nobody = free_port()

    @app.post("/commands")
    async def command() -> dict[str, str]:
        # A real connection attempt to a port nobody listens on: a database that is down.
        await asyncpg.connect(f"postgresql://app@127.0.0.1:{nobody}/db", timeout=5)
        return {"stored": "yes"}

    @app.post("/hangs")
    async def hangs() -> dict[str, str]:
        await asyncio.wait_for(asyncio.Event().wait(), 0.05)  # a pool acquire that timed out
        return {"stored": "yes"}

    @app.get("/peers")
    async def peers() -> dict[str, str]:
        async def read() -> None:
            raise httpx.ConnectError("a peer service does not answer")

        async with asyncio.TaskGroup() as group:
            group.create_task(read())
            group.create_task(read())
        return {"read": "yes"}

    @app.post("/bug")
    async def bug() -> dict[str, str]:
        raise FileNotFoundError(2, "No such file", "/srv/templates/missing.html")  # a bug

    return app


async def test_an_api_client_gets_a_503_problem_with_retry_after_and_a_bug_a_500() -> None:
    transport = httpx.ASGITransport(app=tiny_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for path in ("/commands", "/hangs"):
            down = await client.post(path)
            assert down.status_code == 503, down.text
            assert down.headers["content-type"].startswith("application/problem+json")
            assert int(down.headers["retry-after"]) > 0
            assert down.json()["code"] == "error.unavailable"
            assert "Palvelu" in down.json()["detail"]
        peers = await client.get("/peers")
        assert peers.status_code == 503 and peers.json()["code"] == "error.unavailable"
        swedish = await client.post("/commands", headers={"Accept-Language": "sv"})
        assert "Tjänsten" in swedish.json()["detail"]
        bug = await client.post("/bug")
        assert bug.status_code == 500 and bug.json()["code"] == "error.internal"


async def test_a_browser_gets_a_page_that_says_so() -> None:
    transport = httpx.ASGITransport(app=tiny_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = await client.post("/commands", headers={"Accept": "text/html"})
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert int(page.headers["retry-after"]) > 0
    assert "Palvelu on hetken poissa käytöstä" in page.text
