"""What the client's pages read of their thread with the counselors (decision 0041)."""

from __future__ import annotations

from fastapi import Request

from chassis.http_auth import page_access_token
from chassis.service import runtime_of
from services.tasks.adapters.guidance_client import GuidanceUnavailable
from services.tasks.adapters.guidance_messages import MessagesClient
from services.tasks.web.session import SignedIn


def messages_for(request: Request) -> MessagesClient:
    """Guidance's thread API, with the signed-in client's own token."""
    return MessagesClient(
        base_url=runtime_of(request).settings.guidance_url,
        token=page_access_token(request),
        correlation_id=str(getattr(request.state, "correlation_id", "")),
    )


async def unread_messages(request: Request, client: SignedIn) -> int | None:
    """How many counselors' messages wait for the client; None when guidance did not answer
    (the week page shows without it)."""
    try:
        return await messages_for(request).unread(client.plan.pathway_id)
    except GuidanceUnavailable:
        return None
