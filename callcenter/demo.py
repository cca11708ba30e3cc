"""``callcenter demo``: realistic data so a newcomer sees every feature alive. Safe to run again."""

from __future__ import annotations

import contextlib

from callcenter.accounts.models import SYSTEM, Role
from callcenter.accounts.service import AccountService
from callcenter.db import Database
from callcenter.errors import Conflict

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for newcomers; demo data only

DEMO_USERS = [
    ("admin", "Admin", Role.ADMIN, "en"),
    ("lina", "李娜 Li Na", Role.SUPERVISOR, "zh-Hans"),
    ("sarah", "Sarah Chen", Role.SUPERVISOR, "en"),
    ("wangfang", "王芳", Role.AGENT, "zh-Hans"),
    ("zhangwei", "张伟", Role.AGENT, "zh-Hans"),
    ("liuyang", "刘洋", Role.AGENT, "zh-Hans"),
    ("emma", "Emma Wilson", Role.AGENT, "en"),
    ("james", "James Okafor", Role.AGENT, "en"),
    ("maria", "María García", Role.AGENT, None),
]


async def seed(db: Database, accounts: AccountService) -> list[tuple[str, str, str]]:
    """Create what is missing of the demo data; return the logins to print."""
    logins = []
    for username, name, role, locale in DEMO_USERS:
        with contextlib.suppress(Conflict):  # already seeded by an earlier run
            await accounts.create_user(SYSTEM, username, DEMO_PASSWORD, role, name, locale)
        logins.append((username, DEMO_PASSWORD, role.value))
    return logins
