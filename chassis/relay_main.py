"""`python -m chassis.relay_main`: run one store's relay on its own until SIGTERM or Ctrl-C.

Services run their relay inside the service process; this entry point runs it alone, for
operations (a relay separate from the API) and for the crash test that kills it at random.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from chassis.event_store import PostgresEventStore, create_pool
from chassis.kafka_wire import ensure_topics, event_producer
from chassis.logs import configure_logging
from chassis.relay import Relay


async def run(database_url: str, bootstrap: str, topic: str, name: str, batch_size: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await ensure_topics(bootstrap, [topic])
    pool = await create_pool(database_url, max_size=2)
    producer = event_producer(bootstrap)
    await producer.start()
    try:
        relay = Relay(
            PostgresEventStore(pool),
            producer,
            lambda stored: [topic],
            name=name,
            batch_size=batch_size,
            idle_seconds=0.02,
        )
        await relay.run(stop)
    finally:
        await producer.stop()
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args()
    configure_logging(f"relay-{args.name}")
    asyncio.run(run(args.database_url, args.bootstrap, args.topic, args.name, args.batch_size))


if __name__ == "__main__":
    main()
