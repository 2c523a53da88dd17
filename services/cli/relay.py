"""`digipolku relay`: one store's relay on its own (chassis.relay_main), for a relay run apart
from the API. Several may run against one store: the holder of its lock publishes, the others
stand by."""

from __future__ import annotations

from typing import Annotated

import typer

from chassis.config_check import configuration_problems
from chassis.kafka_security import KafkaClientSettings
from chassis.relay_main import relay_until_stopped
from services.cli.common import fail


def relay(
    topic: Annotated[str, typer.Option(help="The topic every event goes to.", show_default=False)],
    name: Annotated[
        str, typer.Option(help="The relay's checkpoint name in the store.", show_default=False)
    ],
    database_url: Annotated[
        str,
        typer.Option(
            envvar="DIGIPOLKU_DATABASE_URL", help="The store's database.", show_default=False
        ),
    ],
    bootstrap: Annotated[
        str,
        typer.Option(
            envvar="DIGIPOLKU_KAFKA_BOOTSTRAP",
            help="Kafka bootstrap servers, host:port[,…].",
            show_default=False,
        ),
    ],
    batch_size: Annotated[int, typer.Option(help="Events per batch.", min=1)] = 200,
) -> None:
    """Publish one store's events to Kafka, apart from its service.

    Runs until SIGTERM or Ctrl-C, then exits 0 once the batch in flight is saved. Connects
    to Kafka as the services do, from DIGIPOLKU_KAFKA_* (the password never on the command
    line); production refuses a plaintext broker.
    """
    problems = configuration_problems([KafkaClientSettings])
    if problems:
        fail("refusing to relay:\n" + "\n".join(f"  - {problem}" for problem in problems))
    relay_until_stopped(database_url, bootstrap, topic, name, batch_size)
