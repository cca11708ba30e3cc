"""Routing: which agent gets which call, decided in memory and explained as data a supervisor can read."""

from callcenter.routing.engine import MISSED_CALLS, Router
from callcenter.routing.models import (
    DEFAULT_TIER_BONUS_S,
    Action,
    AgentState,
    Candidate,
    Decision,
    Exclusion,
    Presence,
    QueueConfig,
    Rule,
    WaitingCall,
    WorkState,
)

__all__ = [
    "DEFAULT_TIER_BONUS_S",
    "MISSED_CALLS",
    "Action",
    "AgentState",
    "Candidate",
    "Decision",
    "Exclusion",
    "Presence",
    "QueueConfig",
    "Router",
    "Rule",
    "WaitingCall",
    "WorkState",
]
