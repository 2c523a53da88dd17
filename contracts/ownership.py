"""Which context owns which event types, and so the one topic each type may arrive on.

Each bounded context publishes only its own events, on its own internal topic; its event
types are the models of its module in `contracts.events` (one module per context). Consumers
accept a known event type only from its owner's topic (decision 0021): a service that can
write one topic must not be able to speak for another context, for example erase a client
or assign a counselor from the tasks topic.

An event type no context declares (a newer producer's, or a test's) belongs to the topic it
came on: only that topic's writer can have sent it, and it can affect only that topic's
streams, which its writer already decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from contracts.events import enrolment, guidance, tasks
from contracts.events.base import EventModel
from contracts.registry import ALL_EVENTS, LEGACY_EVENTS
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS


@dataclass(frozen=True)
class Context:
    """A bounded context: its name, the internal topic it alone writes, and its events."""

    name: str
    topic: str
    module: ModuleType

    @property
    def events(self) -> tuple[type[EventModel], ...]:
        models = (*ALL_EVENTS, *LEGACY_EVENTS)
        return tuple(model for model in models if model.__module__ == self.module.__name__)

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(model.event_type for model in self.events)


CONTEXTS: tuple[Context, ...] = (
    Context("enrolment", ENROLMENT_EVENTS, enrolment),
    Context("tasks", TASKS_EVENTS, tasks),
    Context("guidance", GUIDANCE_EVENTS, guidance),
)

# event_type -> the only topic it may arrive on.
OWNING_TOPIC: dict[str, str] = {
    event_type: context.topic for context in CONTEXTS for event_type in context.event_types
}


def owning_topic(event_type: str) -> str | None:
    """The topic of the context that owns `event_type`; None for a type no context declares."""
    return OWNING_TOPIC.get(event_type)


def may_arrive_on(topic: str, event_type: str) -> bool:
    """True when an event of this type may be accepted from this topic."""
    owner = owning_topic(event_type)
    return owner is None or owner == topic
