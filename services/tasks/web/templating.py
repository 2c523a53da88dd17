"""Server-rendered pages: Jinja2 templates with texts from the translation catalogues."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from chassis.clock import HELSINKI
from chassis.http import request_language
from chassis.i18n import LANGUAGES
from chassis.service import runtime_of

TEMPLATES = Path(__file__).parent / "templates"
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(),
    trim_blocks=True,
    lstrip_blocks=True,
)


def local_time(moment: datetime) -> str:
    """A moment as read in Finland, in Finnish and Swedish alike: 10.12.2026 13.00."""
    return moment.astimezone(HELSINKI).strftime("%-d.%-m.%Y %H.%M")


_environment.filters["local_time"] = local_time


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in the reader's language; `t` translates a key, `pick` chooses from a text map."""
    lang = request_language(request)
    catalogue = runtime_of(request).catalogue

    def t(key: str, **params: object) -> str:
        return catalogue.text(key, lang, **params)

    def pick(texts: dict[str, str]) -> str:
        return texts.get(lang) or texts.get("fi", "")

    html = _environment.get_template(template).render(
        lang=lang,
        languages=LANGUAGES,
        t=t,
        pick=pick,
        path=request.url.path,
        signed_in=bool(getattr(request.state, "principal", None)),
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "no-store"  # personal data: never cached
    return response
