"""The problem-details bodies every service sends, as models the OpenAPI documents describe.

`chassis.http.problem` builds these bodies; the models here say what a caller may rely on,
so the published schema and the answers cannot drift apart unseen (the fuzz run checks every
error answer against them). A refusal may carry more members than these (the parameters of
its message), so the models allow extra ones.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    """An RFC 9457 problem: a stable code for programs, a text in the caller's language."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://digipolku.fi/problems/not_found",
                    "title": "Pyyntöä ei voitu käsitellä",
                    "status": 404,
                    "detail": "Haettua tietoa ei löytynyt.",
                    "code": "error.not_found",
                    "instance": "/pathways/0195f5a2-7d3e-7c41-9a1b-3f2e4d5c6b7a",
                }
            ]
        },
    )

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="A short title in the caller's language.")
    status: int = Field(ge=100, le=599, description="The HTTP status code, repeated.")
    detail: str = Field(description="What went wrong, in the caller's language (fi or sv).")
    code: str = Field(description="The message key: stable, for programs to act on.")
    instance: str = Field(description="The path of the request that met the problem.")


class FieldError(BaseModel):
    model_config = ConfigDict(extra="allow")

    field: str = Field(description="The refused field, dotted (`suitability.age`), or `body`.")
    type: str = Field(description="Why it was refused (pydantic's error type).")


class ValidationProblem(Problem):
    """A refused request: the fields named when the request itself was malformed."""

    errors: list[FieldError] | None = Field(
        default=None, description="Each refused field, when the refusal is about fields."
    )


class ConflictProblem(Problem):
    """A command decided on a state that has moved on, or that the state does not allow."""

    expected_version: int | None = Field(
        default=None, description="The version the caller expected (from `If-Match`)."
    )
    current_version: int | None = Field(default=None, description="The version there now.")
