"""An example subscriber for another wellbeing area to start from (decision 0032).

    DIGIPOLKU_SUBSCRIBER_PASSWORD=… python -m examples.public_subscriber \\
        --bootstrap kafka.example.fi:9093 --tenant kanta-hame --ca-file ca.crt

By default it follows every area's monthly statistics (or those of `--statistics-of
TENANT`, repeated) and prints a month when a newer revision of it comes; with
`--path-events` it follows your own area's path events (for reminders) and prints each once.

It connects as the area's own Kafka user (`digipolku-area-<tenant>`, SCRAM-SHA-512 over TLS,
the brokers verified against the CA you were given; or mutual TLS with `--security-protocol
SSL --cert-file … --key-file …`) and refuses a plaintext connection unless told with
`--development` that it talks to a local test broker. It reads in a consumer group of its own
(named `<tenant>.…`, the only groups the area's user may use) and validates each message
against the published models (contracts/public.py; the AsyncAPI document is served by
reporting at /asyncapi/public.json). Delivery is at least once: a statistics message no newer
than the month's revision you have is dropped, and a path event whose event_id you have seen.
Replace the handler with your own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer
from aiokafka.helpers import create_ssl_context
from pydantic import ValidationError

from contracts.public import MonthlyStatistics, TenantPathEvent
from contracts.topics import PUBLIC_TOPIC_PATTERN, public_topic, tenant_topic

StatisticsHandler = Callable[[MonthlyStatistics], Awaitable[None]]
PathEventHandler = Callable[[TenantPathEvent], Awaitable[None]]
STATISTICS_PATTERN = PUBLIC_TOPIC_PATTERN.pattern  # every area's statistics topic
Protocol = Literal["SASL_SSL", "SSL", "PLAINTEXT"]
PASSWORD_VARIABLE = "DIGIPOLKU_SUBSCRIBER_PASSWORD"


@dataclass(frozen=True)
class Connection:
    """Where the brokers are and how to prove who we are to them."""

    bootstrap: str
    protocol: Protocol = "SASL_SSL"
    username: str | None = None
    # Kept out of repr, so printing the connection never shows it.
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    # Only a local test broker may be spoken to in plaintext.
    development: bool = False

    def __post_init__(self) -> None:
        problems = []
        if self.protocol == "PLAINTEXT" and not self.development:
            problems.append("a plaintext connection is for a local test broker (--development)")
        if self.protocol != "PLAINTEXT" and self.ca_file is None:
            problems.append("--ca-file is needed to verify the brokers")
        if self.protocol == "SASL_SSL" and not (self.username and self.password):
            problems.append(f"--username and {PASSWORD_VARIABLE} are needed for SASL_SSL")
        if self.protocol == "SSL" and (self.cert_file is None or self.key_file is None):
            problems.append("--cert-file and --key-file are needed for mutual TLS")
        if problems:
            raise ValueError("; ".join(problems))

    def client_options(self) -> dict[str, Any]:
        """aiokafka's keyword arguments for this connection."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.protocol,
        }
        if self.protocol == "PLAINTEXT":
            return options
        context = create_ssl_context(
            cafile=self.ca_file, certfile=self.cert_file, keyfile=self.key_file
        )
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        options["ssl_context"] = context
        if self.protocol == "SASL_SSL":
            options["sasl_mechanism"] = "SCRAM-SHA-512"
            options["sasl_plain_username"] = self.username
            options["sasl_plain_password"] = self.password
        return options


async def _messages(
    connection: Connection,
    group_id: str,
    stop: asyncio.Event,
    topics: list[str] | None = None,
    pattern: str | None = None,
) -> AsyncIterator[bytes]:
    """Each message's value on the topics (or those matching the pattern) until `stop`."""
    consumer = AIOKafkaConsumer(
        group_id=group_id,
        auto_offset_reset="earliest",
        enable_auto_commit=True,
        # A newly made topic that matches the pattern is found within this time.
        metadata_max_age_ms=5000,
        **connection.client_options(),
    )
    if topics:
        consumer.subscribe(topics=topics)
    else:
        consumer.subscribe(pattern=pattern)
    try:
        await consumer.start()
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500)
            for messages in batches.values():
                for message in messages:
                    if message.value is not None:
                        yield message.value
    finally:
        await consumer.stop()


async def follow_statistics(
    connection: Connection,
    tenants: list[str] | None,
    handle: StatisticsHandler,
    group_id: str,
    stop: asyncio.Event,
) -> None:
    """Hand each month's statistics to `handle` when they are newer than what it had, for the
    given tenants (None: every tenant, by the topics' pattern), until `stop` is set."""
    latest: dict[tuple[str, str], int] = {}  # keep this in your own database
    topics = [public_topic(tenant) for tenant in tenants] if tenants else None
    async for value in _messages(connection, group_id, stop, topics, STATISTICS_PATTERN):
        try:
            statistics = MonthlyStatistics.model_validate_json(value)
        except ValidationError:
            continue  # not a message of this version: skip it, do not crash
        month = (statistics.tenant, statistics.month)
        if statistics.revision <= latest.get(month, 0):
            continue  # a redelivery, or older than what you have
        latest[month] = statistics.revision
        await handle(statistics)


async def follow_path_events(
    connection: Connection,
    tenant: str,
    handle: PathEventHandler,
    group_id: str,
    stop: asyncio.Event,
) -> None:
    """Hand each new path event of your own `tenant` to `handle`, once, until `stop` is set."""
    seen: set[str] = set()  # keep this in your own database in a real subscriber
    async for value in _messages(connection, group_id, stop, [tenant_topic(tenant)]):
        try:
            event = TenantPathEvent.model_validate_json(value)
        except ValidationError:
            continue
        if event.tenant != tenant or str(event.event_id) in seen:
            continue  # another area's (never on your topic), or a redelivery
        seen.add(str(event.event_id))
        await handle(event)


async def _print(message: MonthlyStatistics | TenantPathEvent) -> None:
    print(message.model_dump_json(exclude_none=True), flush=True)


def connection_from(args: argparse.Namespace, environ: dict[str, str]) -> Connection:
    """The connection the command line and the environment describe (the password only
    from the environment, so that it never shows in the process list)."""
    return Connection(
        bootstrap=args.bootstrap,
        protocol=args.security_protocol,
        username=args.username or f"digipolku-area-{args.tenant}",
        password=environ.get(PASSWORD_VARIABLE),
        ca_file=args.ca_file,
        cert_file=args.cert_file,
        key_file=args.key_file,
        development=args.development,
    )


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Follow Digipolku's monthly statistics, or your own area's path events."
    )
    parser.add_argument("--bootstrap", required=True, help="the brokers, host:port[,…]")
    parser.add_argument("--tenant", default="kanta-hame", help="your wellbeing area")
    parser.add_argument(
        "--statistics-of",
        action="append",
        metavar="TENANT",
        help="whose monthly statistics (repeat for several; default every area's)",
    )
    parser.add_argument(
        "--path-events", action="store_true", help="your own area's path events instead"
    )
    parser.add_argument("--group", help="consumer group (default <tenant>.example-subscriber)")
    parser.add_argument(
        "--security-protocol", choices=["SASL_SSL", "SSL", "PLAINTEXT"], default="SASL_SSL"
    )
    parser.add_argument("--username", help="Kafka user (default digipolku-area-<tenant>)")
    parser.add_argument("--ca-file", type=Path, help="the CA that signed the brokers")
    parser.add_argument("--cert-file", type=Path, help="client certificate (mutual TLS)")
    parser.add_argument("--key-file", type=Path, help="client key (mutual TLS)")
    parser.add_argument(
        "--development", action="store_true", help="a local test broker: plaintext allowed"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        connection = connection_from(args, dict(os.environ))
    except ValueError as refused:
        raise SystemExit(f"public_subscriber: {refused}") from None
    group = args.group or f"{args.tenant}.example-subscriber"
    stop = asyncio.Event()
    following = (
        follow_path_events(connection, args.tenant, _print, group, stop)
        if args.path_events
        else follow_statistics(connection, args.statistics_of, _print, group, stop)
    )
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the example quietly
        asyncio.run(following)


if __name__ == "__main__":
    main()
