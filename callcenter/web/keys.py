"""Typed application keys for what every part of the web edge shares."""

from __future__ import annotations

import jinja2
from aiohttp import web

from callcenter.accounts.service import AccountService
from callcenter.agents.service import AgentService
from callcenter.audit.service import AuditService
from callcenter.clock import Clock
from callcenter.console.service import ConsoleService
from callcenter.db import Database
from callcenter.integrations.service import IntegrationService
from callcenter.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
ACCOUNTS = web.AppKey("accounts", AccountService)
AUDIT = web.AppKey("audit", AuditService)
CONSOLE = web.AppKey("console", ConsoleService)
AGENTS = web.AppKey("agents", AgentService)
INTEGRATIONS = web.AppKey("integrations", IntegrationService)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
OPENAPI = web.AppKey("openapi", dict)
