"""Domain types of timers: one due item, claimed by one node at a time under a lease."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timer:
    """Work of ``kind`` for ``key`` due at ``due_at``; ``(kind, key)`` is unique, so re-arming moves it."""

    id: int
    kind: str
    key: str
    due_at: int
    payload: dict[str, Any]
    attempts: int
