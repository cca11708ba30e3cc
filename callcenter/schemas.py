"""Schemas every API shares: the error body and paging."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")
R = TypeVar("R")


class FieldProblem(BaseModel):
    """One field that needs fixing."""

    loc: list[str | int]
    msg: str


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str
    message: str
    fields: list[FieldProblem] = []


class ErrorBody(BaseModel):
    """Every 4xx answer of the API has this body."""

    error: ErrorDetail


class PageQuery(BaseModel):
    """Paging, the same on every list: ``limit`` items after the opaque ``cursor``."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, pattern=r"^\d+$", description="next_cursor of the previous page")

    def after(self) -> int:
        """The keyset position the cursor stands for."""
        return int(self.cursor) if self.cursor else 0

    @property
    def fetch(self) -> int:
        """How many rows to read: one more than a page, to tell whether another page follows."""
        return self.limit + 1

    def cut(self, found: Sequence[R], key: Callable[[R], int]) -> tuple[list[R], str | None]:
        """The page out of ``fetch`` rows read in keyset order, and the cursor of the next page."""
        page = list(found[: self.limit])
        return page, str(key(page[-1])) if len(found) > self.limit else None


class Page(BaseModel, Generic[T]):
    """One page of a list; ask again with ``cursor=next_cursor`` while it is not null."""

    items: list[T]
    next_cursor: str | None = None


class Ok(BaseModel):
    """An acknowledgement with nothing else to say."""

    ok: bool = True
