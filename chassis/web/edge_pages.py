"""Pages the HTTP edge answers with before any route runs: a refused form (403, CSRF) and too
many requests (429).

The edge does not know a service's own layout, so these pages have a small one of their own
(the shared stylesheet and language switch); they say what happened and how to go on.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from chassis.http import request_language
from chassis.i18n import LANGUAGES, Catalogue

TEMPLATES = Path(__file__).parent / "templates"
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), trim_blocks=True
)


def wants_page(request: Request) -> bool:
    """A browser navigating (a form sent, a link followed) asks for HTML; fetch() and API
    clients do not, and get problem+json."""
    return "text/html" in request.headers.get("accept", "")


def edge_page(
    request: Request,
    catalogue: Catalogue,
    status: int,
    title: str,
    message: str,
    **params: object,
) -> HTMLResponse:
    """The page in the reader's language: `title` and `message` are message keys."""
    lang = request_language(request)

    def t(key: str, **params: object) -> str:
        return catalogue.text(key, lang, **params)

    html = _environment.get_template("edge_refusal.html").render(
        lang=lang,
        languages=LANGUAGES,
        t=t,
        path=request.url.path,
        signed_in=False,
        title=t(title),
        message=t(message, **params),
        back=_same_site_referrer(request),
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "no-store"
    return response


def _same_site_referrer(request: Request) -> str:
    """The page the request came from, if it was one of ours (never an open redirect)."""
    referrer = request.headers.get("referer", "")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    if referrer.startswith(origin + "/"):
        return referrer.removeprefix(origin)
    return "/"
