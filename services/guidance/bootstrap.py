"""Guidance's parts, made once when the service starts; requests find them on the runtime."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from chassis.service import ServiceRuntime, runtime_of
from services.guidance.adapters.answers_projection import PostgresAnswers
from services.guidance.adapters.curriculum_tasks import read_curriculum_tasks
from services.guidance.adapters.free_texts import PostgresTexts
from services.guidance.adapters.message_texts import PostgresMessages
from services.guidance.adapters.path_access import PostgresPaths
from services.guidance.application.feedback_handlers import FeedbackCommands
from services.guidance.application.handlers import MeetingCommands
from services.guidance.application.message_handlers import MessageCommands
from services.guidance.application.note_handlers import NoteCommands
from services.guidance.application.outcome_handlers import OutcomeCommands
from services.guidance.application.queries import GuidanceQueries


@dataclass(frozen=True)
class Guidance:
    meetings: MeetingCommands
    feedback: FeedbackCommands
    notes: NoteCommands
    outcomes: OutcomeCommands
    messages: MessageCommands
    queries: GuidanceQueries


async def bootstrap(runtime: ServiceRuntime) -> Guidance:
    """Read the published curricula (none found stops the start) and wire the commands."""
    pool = runtime.require_pool()
    pipeline = runtime.require_pipeline()
    paths = PostgresPaths(pool)
    texts = PostgresTexts()
    return Guidance(
        meetings=MeetingCommands(pipeline, paths, read_curriculum_tasks()),
        feedback=FeedbackCommands(pipeline, paths, PostgresAnswers(pool), texts),
        notes=NoteCommands(pipeline, paths, texts),
        outcomes=OutcomeCommands(pipeline, paths),
        messages=MessageCommands(pipeline, paths, texts, PostgresMessages(), pool),
        queries=GuidanceQueries(pipeline, paths, pool),
    )


def guidance(request: Request) -> Guidance:
    return runtime_of(request).parts_as(Guidance)
