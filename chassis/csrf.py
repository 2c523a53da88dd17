"""Cross-site request forgery: a state-changing request that a browser sends with the session
cookie must prove it comes from a page we served to that same session.

The proof is a token bound to the session: HMAC-SHA-256 of the session cookie's value under the
session secret (decision 0023). The pages put it in every form (`{{ csrf_field() }}`, a hidden
`csrf_token` field) and in a `<meta name="csrf-token">` that their scripts send back as
`X-CSRF-Token`. Another site can make a browser send our cookie, but cannot read our pages, so
it cannot know the token.

Checked in one place for every route, by `CsrfMiddleware`: POST, PUT, PATCH and DELETE that
carry the session cookie and no `Authorization: Bearer` header. A request without the cookie
has no ambient authority to abuse (the JSON APIs take bearer tokens, which a browser never adds
by itself), so it is not affected. A browser's `Sec-Fetch-Site: cross-site` on such a request
is refused even with a token, as defence in depth.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

from fastapi import Request
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chassis.http import problem
from chassis.http_auth import SESSION_COOKIE
from chassis.i18n import Catalogue
from chassis.logs import get_logger
from chassis.web.edge_pages import edge_page, wants_page

log = get_logger(__name__)

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Keeps this token apart from anything else the same secret may key (domain separation).
_PURPOSE = b"digipolku-csrf\x00"

Refusal = Literal["cross_site", "missing", "mismatch"]


def csrf_token(secret: bytes, session: str) -> str:
    """The token that proves a request comes from a page served to this session."""
    return hmac.new(secret, _PURPOSE + session.encode(), hashlib.sha256).hexdigest()


def session_of(request: Request) -> str | None:
    """The value of the session cookie, which is what the token is bound to."""
    return request.cookies.get(SESSION_COOKIE) or None


def page_token(request: Request, secret: bytes) -> str:
    """The token a page rendered for this request carries ("" without a session)."""
    session = session_of(request)
    return csrf_token(secret, session) if session else ""


def hidden_field(token: str) -> Markup:
    """The form field every state-changing form carries (a Jinja global: `csrf_field()`)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


def _has_bearer(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def needs_token(request: Request) -> bool:
    return (
        request.method in STATE_CHANGING
        and session_of(request) is not None
        and not _has_bearer(request)
    )


class CsrfMiddleware:
    """Refuses a state-changing request that carries the session cookie but not its token."""

    def __init__(self, app: ASGIApp, catalogue: Catalogue, secret: bytes) -> None:
        self.app = app
        self.catalogue = catalogue
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if not needs_token(request):
            await self.app(scope, receive, send)
            return
        session = session_of(request)
        assert session is not None  # needs_token said so
        expected = csrf_token(self.secret, session)
        if request.headers.get("sec-fetch-site") == "cross-site":
            await self._refuse(scope, receive, send, "cross_site")
            return
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and _is_form(request):
            # The body is read here and handed on unchanged, so the route reads it as sent.
            body = await _read_body(receive)
            receive = _replay(body, receive)
            sent = await _form_token(scope, body)
        if not sent:
            await self._refuse(scope, receive, send, "missing")
            return
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            await self._refuse(scope, receive, send, "mismatch")
            return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, reason: Refusal) -> None:
        request = Request(scope, receive)
        log.info("csrf refused", reason=reason, method=scope.get("method"))
        response: Response
        if wants_page(request):
            response = edge_page(request, self.catalogue, 403, "error.csrf_title", "error.csrf")
        else:
            response = problem(request, self.catalogue, 403, "error.csrf")
        await response(scope, receive, send)


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type in FORM_TYPES


async def _read_body(receive: Receive) -> bytes:
    """The whole body (the body limit outside this middleware bounds it)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away: an empty rest
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the route the body once more, then waits as the real one does."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _form_token(scope: Scope, body: bytes) -> str | None:
    """The form's `csrf_token` field, parsed as the route will parse it (Starlette's parser)."""
    request = Request(scope, _replay(body, _no_more))
    try:
        form: FormData = await request.form()
    except Exception:  # a malformed body has no token; the route would refuse it anyway
        return None
    try:
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


async def _no_more() -> Message:
    return {"type": "http.disconnect"}
