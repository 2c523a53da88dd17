"""Turning an HTTP request into a command context: actor, tenant, ids."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request

from chassis.auth import Principal
from chassis.errors import DomainError
from chassis.logs import current_correlation_id
from chassis.streams import CommandContext
from contracts.envelope import Actor

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 200


def command_context(
    request: Request,
    principal: Principal,
    *,
    scope: str,
    causation_id: UUID | None = None,
    key: str | None = None,
) -> CommandContext:
    """The context of a command sent over HTTP.

    The idempotency key is scoped by the command and the caller, so two callers can never
    collide on a key, nor one command's key replay another's result.
    """
    # A page's form carries its key in a hidden field; an API client sends the header.
    raw_key = (key or request.headers.get(IDEMPOTENCY_HEADER, "")).strip()[:MAX_IDEMPOTENCY_KEY]
    actor_id = principal.client_ref if principal.role == "client" else principal.subject
    assert actor_id is not None
    return CommandContext(
        actor=Actor(role=principal.role, id=actor_id),
        tenant=principal.tenant,
        correlation_id=getattr(request.state, "correlation_id", None) or current_correlation_id(),
        causation_id=causation_id,
        idempotency_key=f"{scope}:{actor_id}:{raw_key}" if raw_key else None,
    )


def expected_version(request: Request) -> int | None:
    """The version the caller last saw, from `If-Match` (an ETag such as "3" or W/"3")."""
    raw = request.headers.get("if-match", "").strip()
    if not raw or raw == "*":
        return None
    digits = raw.removeprefix("W/").strip('"')
    if not digits.isdigit():
        raise DomainError("error.bad_if_match")
    return int(digits)
