"""Server-rendered pages: Jinja2 templates with texts from the service's translation catalogue.

Shared by the client's pages (tasks) and the counselor's (guidance): the same helpers in every
template (`t` translates a key, `pick` chooses from a text map, `local_time` shows a moment as
read in Finland, `fmt` writes numbers, shares and dates in the reader's language (Babel),
`csrf_field()` the hidden field every state-changing form carries and
`csrf_token` the same token for the page's scripts, see chassis.csrf) and the same headers
(language; never cached, since pages hold personal data).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from chassis.clock import HELSINKI
from chassis.csrf import hidden_field, page_token
from chassis.http import request_language
from chassis.http_auth import page_router
from chassis.i18n import LANGUAGES
from chassis.web.formats import Formats

# The shared stylesheet, served by every service with pages at /static/common/site.css.
COMMON_STATIC = Path(__file__).parent / "static"
# Parts every service's pages include (after the service's own templates).
COMMON_TEMPLATES = Path(__file__).parent / "templates"


def local_time(moment: datetime) -> str:
    """A moment as read in Finland, in Finnish and Swedish alike: 10.12.2026 13.00."""
    return moment.astimezone(HELSINKI).strftime("%-d.%-m.%Y %H.%M")


class PageRenderer:
    def __init__(self, templates: Path, helpers: dict[str, Any] | None = None) -> None:
        self._environment = Environment(
            loader=ChoiceLoader([FileSystemLoader(templates), FileSystemLoader(COMMON_TEMPLATES)]),
            autoescape=select_autoescape(),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._environment.filters["local_time"] = local_time
        # A service's own helpers for its templates (tasks: `spoken`, the texts read aloud).
        self._environment.globals.update(helpers or {})

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """A page in the reader's language."""
        lang = request_language(request)
        catalogue = request.app.state.runtime.catalogue

        def t(key: str, **params: object) -> str:
            return str(catalogue.text(key, lang, **params))

        def pick(texts: dict[str, str]) -> str:
            return texts.get(lang) or texts.get("fi", "")

        secret = request.app.state.runtime.settings.session_secret.get_secret_value()
        token = page_token(request, secret.encode())

        html = self._environment.get_template(template).render(
            lang=lang,
            languages=LANGUAGES,
            t=t,
            pick=pick,
            fmt=Formats(lang),
            path=request.url.path,
            signed_in=bool(getattr(request.state, "principal", None)),
            csrf_field=lambda: hidden_field(token),
            csrf_token=token,
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Language"] = lang
        response.headers["Cache-Control"] = "no-store"  # personal data: never cached
        return response


def language_router() -> APIRouter:
    """`/kieli/{lang}`: the reader's choice of language, kept in a cookie for a year."""
    router = page_router()

    @router.get("/kieli/{lang}")
    async def switch_language(lang: str, next: str = "/") -> RedirectResponse:
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        if lang in LANGUAGES:
            response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
        return response

    return router
