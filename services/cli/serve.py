"""`digipolku serve SERVICE`: one service's HTTP on one port (pages, API, /healthz, /readyz,
/metrics), its relay and consumers inside the same process, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer
import uvicorn

from services.cli.common import Service, refuse_if_misconfigured

# The container's port (decision 0036); `make run` and the tests give each service its own.
DEFAULT_PORT = 8000


def serve(
    service: Annotated[Service, typer.Argument(help="The service to run.", show_default=False)],
    host: Annotated[
        str,
        typer.Option(help="Address to listen on (all of a container's addresses by default)."),
    ] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = DEFAULT_PORT,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            envvar="DIGIPOLKU_FORWARDED_ALLOW_IPS",
            help="Comma-separated addresses (or *) of the proxies whose X-Forwarded-For and"
            " X-Forwarded-Proto are believed; the rate limits count the client's address.",
        ),
    ] = "127.0.0.1",
) -> None:
    """Run one service's HTTP, relay and consumers until SIGTERM or Ctrl-C.

    Settings come from DIGIPOLKU_* variables; a configuration the service would refuse is
    listed and the exit status is 1, before anything listens. No access log is written: the
    service logs its own JSON lines (with correlation and trace ids) and /metrics counts
    requests by route.
    """
    refuse_if_misconfigured(service.value)
    module = importlib.import_module(f"services.{service.value}.app")
    uvicorn.run(
        module.app,
        factory=True,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        access_log=False,
        # One process per container: Kubernetes scales by replicas, not by workers.
        workers=1,
    )
