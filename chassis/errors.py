"""Errors a person can meet, in plain Python so domain code may raise them.

Each carries a message key into the translation catalogues and the parameters of its text;
the HTTP layer maps them once to problem-details responses in the reader's language.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the command."""

    status = 422

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it exists."""

    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """The command was decided on a state that has since changed."""

    status = 409


class Unauthorized(DomainError):
    status = 401
