"""What the client's pages show from guidance: feedback on answers and their meetings."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from chassis.http_auth import page_access_token
from chassis.service import runtime_of
from services.tasks.adapters.guidance_client import (
    FeedbackItem,
    GuidanceClient,
    GuidanceUnavailable,
    MeetingItem,
)
from services.tasks.web.session import SignedIn


def guidance_for(request: Request) -> GuidanceClient:
    """Guidance, called with the signed-in client's own token and this request's correlation."""
    return GuidanceClient(
        base_url=runtime_of(request).settings.guidance_url,
        token=page_access_token(request),
        correlation_id=str(getattr(request.state, "correlation_id", "")),
    )


@dataclass
class GuidanceView:
    """Feedback and meetings of one client; `available` is False when guidance did not answer."""

    available: bool = True
    feedback: list[FeedbackItem] = field(default_factory=list)
    meetings: list[MeetingItem] = field(default_factory=list)

    def feedback_on(self, answer_id: object) -> list[FeedbackItem]:
        return [item for item in self.feedback if item.answer_id == answer_id]

    def meetings_about(self, task_id: str) -> list[MeetingItem]:
        return [m for m in self.meetings if task_id in m.task_ids]

    @property
    def upcoming(self) -> list[MeetingItem]:
        return [m for m in self.meetings if m.state in ("requested", "scheduled")]


async def guidance_view(request: Request, client: SignedIn, feedback: bool = True) -> GuidanceView:
    guidance = guidance_for(request)
    try:
        return GuidanceView(
            feedback=await guidance.feedback(client.plan.pathway_id) if feedback else [],
            meetings=await guidance.meetings(client.plan.pathway_id),
        )
    except GuidanceUnavailable:
        return GuidanceView(available=False)
