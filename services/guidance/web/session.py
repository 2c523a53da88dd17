"""Who is signed in on the counselor's pages, and what to show instead.

Counselors and admins work here. A manager sees only aggregates (in reporting), and a client
has their own pages, so both get a clear refusal instead of a caseload.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from chassis.auth import Principal
from chassis.web.sign_in import refusal_page, signed_in
from services.guidance.web.templating import render

STAFF_CLIENT_ID = "digipolku-staff"


def refusal(request: Request, status: int, reason: str) -> Response:
    return refusal_page(render, request, status, reason)


async def signed_in_staff(request: Request) -> Principal | Response:
    """The signed-in counselor or admin, or the page to show instead."""
    return await signed_in(
        request,
        render,
        ("counselor", "admin"),
        refusals={"manager": "workspace.managers_see_reports"},
    )
