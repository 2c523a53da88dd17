"""Who is signed in on a service's pages, or what to show instead.

The same for every set of pages: nobody signed in sees the landing page on `/` and is sent
to sign in (and back) anywhere else; a refused token or a role these pages are not for gets
a refusal page in words. Each service says which roles its pages serve and why others are
turned away.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chassis.auth import Principal
from chassis.errors import Forbidden, Unauthorized
from chassis.http_auth import current_page_principal
from chassis.oidc_login import LOGIN_PATH

Render = Callable[..., HTMLResponse]
# Added to the address the client comes back to after signing in again (the page says so).
EXPIRED_QUERY = "istunto=vanhentunut"


def refusal_page(render: Render, request: Request, status: int, reason: str) -> Response:
    return render(request, "refusal.html", status=status, reason=reason)


async def signed_in(
    request: Request,
    render: Render,
    roles: Collection[str],
    *,
    refusals: Mapping[str, str] | None = None,
    back_to: str | None = None,
    tell_expired: bool = False,
) -> Principal | Response:
    """The signed-in principal if their role is one of `roles`, else the page to show.

    `refusals`: the reason shown to a role turned away (error.forbidden otherwise).
    `back_to`: where to return after signing in (the page asked for, by default).
    `tell_expired`: an expired session signs in again and the page then says it had expired.
    """
    try:
        principal = await current_page_principal(request)
    except Unauthorized as unsigned:
        expired = tell_expired and unsigned.code == "error.token_expired"
        if request.url.path == "/" and not expired:
            return render(request, "landing.html")
        target = back_to or request.url.path
        if expired:
            target += f"?{EXPIRED_QUERY}"
        return RedirectResponse(f"{LOGIN_PATH}?{urlencode({'next': target})}", status_code=303)
    except Forbidden as refused:
        return refusal_page(render, request, 403, refused.code)
    if principal.role not in roles:
        reason = (refusals or {}).get(principal.role, "error.forbidden")
        return refusal_page(render, request, 403, reason)
    return principal
