"""An example subscriber to Digipolku's public events, for another wellbeing area to start from.

    python -m examples.public_subscriber --bootstrap 127.0.0.1:9092 --tenant kanta-hame

It reads the tenant's public topic in a consumer group of its own, validates each message
against the published model (contracts/public.py; the AsyncAPI document is served by
reporting at /asyncapi/public.json), drops the ones it has already seen by event_id (delivery
is at least once), and prints one line per event. Replace `handle` with your own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from contracts.public import PublicPathEvent
from contracts.topics import public_topic

Handler = Callable[[PublicPathEvent], Awaitable[None]]


async def follow(
    bootstrap: str,
    tenant: str,
    handle: Handler,
    group_id: str,
    stop: asyncio.Event,
) -> None:
    """Hand each new public event of `tenant` to `handle`, once, until `stop` is set."""
    consumer = AIOKafkaConsumer(
        public_topic(tenant),
        bootstrap_servers=bootstrap,
        group_id=group_id,
        auto_offset_reset="earliest",
        enable_auto_commit=True,
    )
    seen: set[str] = set()  # keep this in your own database in a real subscriber
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500)
            for messages in batches.values():
                for message in messages:
                    try:
                        event = PublicPathEvent.model_validate_json(message.value or b"")
                    except ValidationError:
                        continue  # not a message of this version: skip it, do not crash
                    if str(event.event_id) in seen:
                        continue
                    seen.add(str(event.event_id))
                    await handle(event)
    finally:
        await consumer.stop()


async def _print(event: PublicPathEvent) -> None:
    details = event.model_dump(exclude_none=True, exclude={"event_id", "tenant"})
    print(details, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Follow a wellbeing area's public events.")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--tenant", default="kanta-hame")
    parser.add_argument("--group", default="example-subscriber")
    args = parser.parse_args()
    stop = asyncio.Event()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the example quietly
        asyncio.run(follow(args.bootstrap, args.tenant, _print, args.group, stop))


if __name__ == "__main__":
    main()
