"""Guidance down must not take the client's pages with it: the client says so, calmly."""

from __future__ import annotations

import socket
from uuid import uuid4

import pytest

from services.tasks.adapters.guidance_client import GuidanceClient, GuidanceUnavailable


def closed_port() -> int:
    # A port that was just free: nothing listens there, so connecting is refused at once.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_an_unreachable_guidance_is_reported_as_unavailable() -> None:
    guidance = GuidanceClient(f"http://127.0.0.1:{closed_port()}", "token", str(uuid4()))
    with pytest.raises(GuidanceUnavailable):
        await guidance.feedback(uuid4())
    with pytest.raises(GuidanceUnavailable):
        await guidance.request_meeting(uuid4(), None, "key")
