"""Who is signed in on the counselor's pages, and what to show instead.

Counselors and admins work here. A manager sees only aggregates (in reporting), and a client
has their own pages, so both get a clear refusal instead of a caseload.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from chassis.auth import Principal
from chassis.errors import Forbidden, Unauthorized
from chassis.http_auth import current_principal
from chassis.oidc_login import LOGIN_PATH
from services.guidance.web.templating import render

STAFF_CLIENT_ID = "digipolku-staff"


def refusal(request: Request, status: int, reason: str) -> Response:
    return render(request, "refusal.html", status=status, reason=reason)


async def signed_in_staff(request: Request) -> Principal | Response:
    """The signed-in counselor or admin, or the page to show instead."""
    try:
        principal = await current_principal(request)
    except Unauthorized:
        if request.url.path == "/":
            return render(request, "landing.html")
        target = request.url.path
        return RedirectResponse(f"{LOGIN_PATH}?{urlencode({'next': target})}", status_code=303)
    except Forbidden as refused:
        return refusal(request, 403, refused.code)
    if principal.role == "manager":
        return refusal(request, 403, "workspace.managers_see_reports")
    if principal.role not in ("counselor", "admin"):
        return refusal(request, 403, "error.forbidden")
    return principal
