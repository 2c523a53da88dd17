"""Kafka topic names.

Internal topics carry a context's full domain events for the platform's own services. Public
topics are per tenant, so prefix ACLs can give each wellbeing area only its own, and carry
minimised events (no identity, no free text).
"""

from __future__ import annotations

import re

ENROLMENT_EVENTS = "digipolku.enrolment.events"
TASKS_EVENTS = "digipolku.tasks.events"
GUIDANCE_EVENTS = "digipolku.guidance.events"
INTERNAL_TOPICS = (ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS)

_TENANT = re.compile(r"^[a-z0-9-]+$")


def public_topic(tenant: str) -> str:
    if not _TENANT.fullmatch(tenant):
        raise ValueError(f"tenant must be a lowercase slug, not {tenant!r}")
    return f"digipolku.public.{tenant}.events"
