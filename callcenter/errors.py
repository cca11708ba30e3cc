"""The one small tree of domain errors, mapped to HTTP and Socket.IO answers in one place each."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; ``loc`` is the path to it."""

    loc: tuple[str | int, ...]
    msg: str


@dataclass
class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    message: str
    fields: list[FieldError] = field(default_factory=list)
    code: str = "error"
    status: int = 400

    def __str__(self) -> str:
        return self.message


class Invalid(DomainError):
    """The input breaks a rule; ``fields`` names what to fix."""

    def __init__(self, message: str, fields: list[FieldError] | None = None) -> None:
        super().__init__(message, fields or [], "invalid", 422)


class NotFound(DomainError):
    """The thing asked for does not exist (or the caller may not know it does)."""

    def __init__(self, message: str = "not found") -> None:
        super().__init__(message, [], "not_found", 404)


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, lost race)."""

    def __init__(self, message: str, fields: list[FieldError] | None = None) -> None:
        super().__init__(message, fields or [], "conflict", 409)


class InvalidTransition(DomainError):
    """A state machine was asked to make a move it does not allow."""

    def __init__(self, message: str) -> None:
        super().__init__(message, [], "invalid_transition", 409)


class Unauthorized(DomainError):
    """No valid credentials came with the request."""

    def __init__(self, message: str = "login required") -> None:
        super().__init__(message, [], "unauthorized", 401)


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    def __init__(self, message: str = "forbidden") -> None:
        super().__init__(message, [], "forbidden", 403)


class RateLimited(DomainError):
    """Too many attempts; try again later."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message, [], "rate_limited", 429)
        self.retry_after_s = retry_after_s


def field_error(name: str, msg: str) -> list[FieldError]:
    """Shorthand for a single-field error list."""
    return [FieldError((name,), msg)]
