"""What every event payload model shares."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class EventModel(BaseModel):
    """A frozen event payload with its name and schema version.

    Free text (answers, reasons, feedback, notes) never goes into an event: the owning
    service stores it erasably and events carry only its id. A client appears only as a
    pseudonymous `client_ref`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            cls.event_type = cls.__name__
