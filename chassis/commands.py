"""Turning an HTTP request into a command context: actor, tenant, ids, idempotency key and
the command's fingerprint, and the version the caller last saw."""

from __future__ import annotations

import hashlib
import json
from uuid import UUID

from fastapi import Request

from chassis.auth import Principal
from chassis.errors import DomainError, NotFound
from chassis.logs import current_correlation_id
from chassis.streams import CommandContext
from contracts.envelope import Actor

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 200
# A page's form carries its idempotency key in this hidden field.
SUBMISSION_FIELD = "submission_id"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def http_command(
    request: Request,
    principal: Principal,
    *,
    scope: str,
    causation_id: UUID | None = None,
) -> CommandContext:
    """The context of a command sent over HTTP, API or page form alike.

    The key comes from the `Idempotency-Key` header or a form's `submission_id`; it is stored
    with a fingerprint of the command (method, path, query and body), so the same key with
    another command is refused rather than answered with the first command's result.
    """
    form_key: str | None = None
    if _is_form(request):
        form = await request.form()
        value = form.get(SUBMISSION_FIELD)
        form_key = value if isinstance(value, str) else None
    key = _idempotency_key(request, principal, scope, form_key)
    return CommandContext(
        actor=Actor(role=principal.role, id=_actor_id(principal)),
        tenant=principal.tenant,
        correlation_id=getattr(request.state, "correlation_id", None) or current_correlation_id(),
        causation_id=causation_id,
        idempotency_key=key,
        fingerprint=await request_fingerprint(request) if key else None,
        expected_version=expected_version(request),
    )


async def request_fingerprint(request: Request) -> str:
    """A digest of what the request asks for; the same command sent again has the same one.

    JSON is compared as data (key order and spacing do not matter); a form by its fields,
    less the submission id that is the key itself.
    """
    body: object
    if _is_form(request):
        form = await request.form()
        body = sorted(
            (name, value)
            for name, value in form.multi_items()
            if name != SUBMISSION_FIELD and isinstance(value, str)
        )
    else:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.hex()
    command = {
        "method": request.method,
        "path": request.url.path,
        "query": sorted(request.query_params.multi_items()),
        "body": body,
    }
    canonical = json.dumps(command, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith(_FORM_TYPES)


def _idempotency_key(
    request: Request, principal: Principal, scope: str, form_key: str | None
) -> str | None:
    """The key scoped by the command and the caller, so two callers can never collide on a
    key, nor one command's key replay another's result."""
    raw_key = (form_key or request.headers.get(IDEMPOTENCY_HEADER, "")).strip()
    raw_key = raw_key[:MAX_IDEMPOTENCY_KEY]
    return f"{scope}:{_actor_id(principal)}:{raw_key}" if raw_key else None


def _actor_id(principal: Principal) -> str:
    if principal.role != "client":
        return principal.subject
    if principal.client_ref is None:
        # A client with no path (decision 0025) can command nothing: as if it did not exist.
        raise NotFound("error.not_found")
    return principal.client_ref


def expected_version(request: Request) -> int | None:
    """The version the caller last saw, from `If-Match` (an ETag such as "3" or W/"3")."""
    raw = request.headers.get("if-match", "").strip()
    if not raw or raw == "*":
        return None
    digits = raw.removeprefix("W/").strip('"')
    if not digits.isdigit():
        raise DomainError("error.bad_if_match")
    return int(digits)
