"""Security headers on every response: what a browser may load, frame, send and remember.

Our pages load only our own stylesheet and scripts, so the Content-Security-Policy allows
exactly that: no inline script or style, no plugins, no <base>, forms sent only to ourselves and
to the issuer (signing out ends the session there too), and no framing (clickjacking).

The interactive API documents (/docs, /asyncapi) are third-party pages (Swagger UI, AsyncAPI's
React component) that load from a CDN and start with an inline script. They get a policy of
their own (decision 0023): the CDN they name, and their inline code admitted by its SHA-256
hash taken from the very page being sent, so no other inline code runs there either.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Browser features no page of ours uses; a page injected into ours gets none of them either.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
# A year: a browser that has once reached the service never tries plain http again. Production
# only (development runs on http). No includeSubDomains: the host is the wellbeing area's.
HSTS = "max-age=31536000"
# Where the documentation pages load Swagger UI and the AsyncAPI component from.
DOCS_SOURCES = "https://cdn.jsdelivr.net https://unpkg.com"
_INLINE = re.compile(rb"<(script|style)(\s[^>]*)?>(.*?)</\1>", re.DOTALL | re.IGNORECASE)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def page_policy(issuer: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self' {origin_of(issuer)}",
            "frame-ancestors 'none'",
        )
    )


def docs_policy(html: bytes) -> str:
    """The documentation page's policy: its CDN, and its own inline code by hash."""
    hashes: dict[bytes, set[str]] = {b"script": set(), b"style": set()}
    for match in _INLINE.finditer(html):
        tag, attributes, code = match.group(1).lower(), match.group(2) or b"", match.group(3)
        if b"src=" in attributes.lower() or not code.strip():
            continue
        digest = base64.b64encode(hashlib.sha256(code).digest()).decode()
        hashes[tag].add(f"'sha256-{digest}'")
    scripts = " ".join(sorted(hashes[b"script"]))
    styles = " ".join(sorted(hashes[b"style"]))
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {DOCS_SOURCES} {scripts}".rstrip(),
            f"style-src 'self' {DOCS_SOURCES} {styles}".rstrip(),
            # Favicons from the projects' sites; Swagger UI draws its icons as data: URLs.
            "img-src 'self' data: https:",
            "font-src 'self' data: " + DOCS_SOURCES,
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeaders:
    """Adds the headers to every response; the documentation pages get their own policy."""

    def __init__(
        self, app: ASGIApp, *, issuer: str, production: bool, docs_paths: Collection[str]
    ) -> None:
        self.app = app
        self.policy = page_policy(issuer)
        self.production = production
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path") in self.docs_paths:
            await self._docs(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add(MutableHeaders(scope=message), self.policy)
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Holds the (small) page back until its inline code is hashed into the policy."""
        start: Message | None = None
        body: list[bytes] = []

        async def held(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            whole = b"".join(body)
            self._add(MutableHeaders(scope=start), docs_policy(whole))
            await send(start)
            await send({"type": "http.response.body", "body": whole, "more_body": False})

        await self.app(scope, receive, held)

    def _add(self, headers: MutableHeaders, policy: str) -> None:
        headers["Content-Security-Policy"] = policy
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = PERMISSIONS_POLICY
        # For browsers older than frame-ancestors; the same meaning.
        headers["X-Frame-Options"] = "DENY"
        # A page we open (a task's material in a new window) cannot reach back into ours.
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if self.production:
            headers["Strict-Transport-Security"] = HSTS
