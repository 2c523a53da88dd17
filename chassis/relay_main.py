"""`python -m chassis.relay_main`: run one store's relay on its own until SIGTERM or Ctrl-C.

Services run their relay inside the service process; this entry point runs it alone, for
operations (a relay separate from the API) and for the crash test that kills it at random.

    python -m chassis.relay_main --database-url DSN --bootstrap HOST:PORT --topic T --name N

It connects to Kafka as the services do, from the DIGIPOLKU_KAFKA_* variables (the password
never on the command line), and in production refuses a plaintext broker. Several of them may
run against one store: only the holder of the store's lock publishes, the others stand by
(chassis.relay_leader), and each checks that the broker keeps what it acknowledged.

A signal during start-up abandons the start; one while relaying lets the batch in flight
finish (its position saved) and stops. Either way the exit status is 0. It logs one line on
start, one when it comes to lead (or stands by again) and one on stop (JSON, as every
service), warnings and errors, nothing per batch.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from chassis.event_store import PostgresEventStore, create_pool
from chassis.kafka_security import KafkaClientSettings, KafkaSecurity, kafka_security
from chassis.kafka_wire import ensure_topics
from chassis.logs import configure_logging
from chassis.relay import event_messages
from chassis.relay_runtime import start_relay
from chassis.tracing import start_tracing
from contracts.topics import Environment


async def run(
    database_url: str,
    bootstrap: str,
    topic: str,
    name: str,
    batch_size: int,
    security: KafkaSecurity,
    environment: Environment = "production",
) -> None:
    stop = asyncio.Event()
    main = asyncio.current_task()
    assert main is not None
    relaying = False

    def on_signal() -> None:
        stop.set()
        if not relaying:
            main.cancel()  # still connecting: nothing to finish

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    await ensure_topics(bootstrap, [topic], security=security, environment=environment)
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        running = await start_relay(
            PostgresEventStore(pool),
            event_messages(lambda stored: [topic]),
            name=name,
            database_url=database_url,
            bootstrap=bootstrap,
            security=security,
            environment=environment,
            batch_size=batch_size,
            idle_seconds=0.02,
            stop=stop,
            own_topics=[topic],
        )
        relaying = True
        try:
            await running.task
        finally:
            await running.stop()
    finally:
        await pool.close()


def relay_until_stopped(
    database_url: str, bootstrap: str, topic: str, name: str, batch_size: int = 200
) -> None:
    """Relay until SIGTERM or Ctrl-C (also `digipolku relay`)."""
    configure_logging(f"relay-{name}")
    # Its publish spans join each command's trace, as a service's own relay's do.
    start_tracing(f"relay-{name}")
    settings = KafkaClientSettings()
    security = kafka_security(settings)
    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(
            run(
                database_url,
                bootstrap,
                topic,
                name,
                batch_size,
                security,
                settings.environment,
            )
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Publish a store's events to Kafka.")
    parser.add_argument("--database-url", required=True, help="the store's PostgreSQL DSN")
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    parser.add_argument("--topic", required=True, help="the topic every event goes to")
    parser.add_argument("--name", required=True, help="the relay's checkpoint name")
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args(argv)
    relay_until_stopped(args.database_url, args.bootstrap, args.topic, args.name, args.batch_size)


if __name__ == "__main__":
    main()
