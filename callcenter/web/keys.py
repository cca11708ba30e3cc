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
from callcenter.realtime import Realtime
from callcenter.routing.service import RoutingService
from callcenter.settings import Settings
from callcenter.timers.service import TimerService

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
ACCOUNTS = web.AppKey("accounts", AccountService)
AUDIT = web.AppKey("audit", AuditService)
CONSOLE = web.AppKey("console", ConsoleService)
AGENTS = web.AppKey("agents", AgentService)
INTEGRATIONS = web.AppKey("integrations", IntegrationService)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
ROUTING = web.AppKey("routing", RoutingService)
TIMERS = web.AppKey("timers", TimerService)
OPENAPI = web.AppKey("openapi", dict)
REALTIME = web.AppKey("realtime", Realtime)
