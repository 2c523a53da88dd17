"""Reading a consumed event as the model a consumer knows, without raising.

A consumer decodes every event it handles before it writes anything (decision 0027): an event
it cannot read (a newer schema version no upcaster lifts, a payload that does not validate)
becomes an `Unreadable` with a reason, which holds back only its stream instead of failing the
batch, so nothing else is rolled back or retried for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from pydantic import ValidationError

from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.registry import UnknownEvent
from contracts.upcasting import UPCASTERS, Upcaster

E = TypeVar("E", bound=EventModel)


@dataclass(frozen=True)
class Unreadable:
    """Why an event could not be read; never the payload itself (it may hold anything)."""

    reason: str


def read_as(model: type[E], envelope: EventEnvelope, upcaster: Upcaster = UPCASTERS) -> E:
    """The envelope's payload as `model`, upcast first; raises `UnknownEvent` for a version
    that the upcasters do not lift to the model's, pydantic's `ValidationError` for a payload
    that does not validate."""
    if envelope.event_type != model.event_type:
        raise UnknownEvent(f"{envelope.event_type} is not {model.event_type}")
    version, payload = upcaster.upcast(
        envelope.event_type, envelope.schema_version, envelope.payload
    )
    if version != model.schema_version:
        raise UnknownEvent(
            f"{envelope.event_type} v{envelope.schema_version} cannot be read as"
            f" v{model.schema_version}"
        )
    return model.model_validate(payload)


def try_read(
    model: type[E], envelope: EventEnvelope, upcaster: Upcaster = UPCASTERS
) -> E | Unreadable:
    """`read_as`, with a failure to read returned as its reason."""
    try:
        return read_as(model, envelope, upcaster)
    except UnknownEvent as exc:
        return Unreadable(f"unknown version: {exc}")
    except ValidationError as exc:
        # Where and what kind of error, not the offending input (it may be personal data).
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(payload)'}: {error['type']}"
            for error in exc.errors(include_input=False)[:5]
        )
        return Unreadable(f"invalid payload: {problems}")
