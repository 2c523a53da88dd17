"""Sending a page's form over plain HTTP as a signed-in browser would: with the session cookie
and the page's CSRF token (decision 0023), which the page gives in its csrf-token meta tag."""

from __future__ import annotations

import re

from tests.support.sign_in import Session

_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def page_token(session: Session, path: str = "/") -> str:
    """The CSRF token of the session, as a page of the service shows it."""
    page = session.get(path)
    found = _TOKEN.search(page.text)
    assert found, f"{path}: no csrf-token on the page ({page.status_code})"
    return found.group(1)


def form_headers(session: Session, path: str = "/") -> dict[str, str]:
    """Headers that send a form (or a page script's request) within the session."""
    return {**session.headers, "X-CSRF-Token": page_token(session, path)}
