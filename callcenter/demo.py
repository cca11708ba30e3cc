"""``callcenter demo``: realistic data so a newcomer sees every feature alive. Safe to run again."""

from __future__ import annotations

import contextlib
import random
from datetime import time

from callcenter.accounts.models import SYSTEM, Role
from callcenter.accounts.service import AccountService
from callcenter.agents.models import DeviceKind
from callcenter.agents.service import AgentService
from callcenter.calendars.models import Calendar, make_slots
from callcenter.calendars.service import CalendarService
from callcenter.clock import Clock
from callcenter.customers.models import CustomerDraft, OrderDraft, PhoneDraft
from callcenter.customers.service import CustomerService
from callcenter.db import Database
from callcenter.errors import Conflict
from callcenter.numbers.models import NumberDraft
from callcenter.numbers.service import NumberService
from callcenter.queues.models import DispositionDraft, OverflowAction, QueueSettings, SkillWant
from callcenter.queues.service import QueueService
from callcenter.teams.service import TeamService

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for newcomers; demo data only
DAY_MS = 86_400_000

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

# Customers as a center in Beijing with clients abroad would have them: national and international
# numbers, a landline with an extension, one number shared by two people of one household.
DEMO_CUSTOMERS = [
    ("陈静", "+86 138 0013 8000", "北京天成贸易有限公司", "zh-Hans", "Asia/Shanghai", "wangfang", 48),
    ("赵磊", "139 1234 5678", None, "zh-Hans", "Asia/Shanghai", None, 22),
    ("孙丽", "010 6552 9988 ext. 204", "华信科技", "zh-Hans", "Asia/Shanghai", "zhangwei", 15),
    ("周杰", "+86 186 1111 2222", None, "zh-Hans", "Asia/Shanghai", None, 9),
    ("吴敏", "+86 186 1111 2222", None, "zh-Hans", "Asia/Shanghai", None, 3),
    ("黄伟", "+852 9123 4567", "Harbour Logistics", "zh-Hans", "Asia/Hong_Kong", None, 12),
    ("Oliver Smith", "+44 20 7946 0958", "Smith & Co", "en", "Europe/London", "emma", 30),
    ("Amelia Jones", "+44 7700 900123", None, "en", "Europe/London", None, 4),
    ("Noah Miller", "+1 415 555 2671", "Bay Robotics", "en", "America/Los_Angeles", "james", 18),
    ("Sophia Brown", "+1 212 555 0147", None, "en", "America/New_York", None, 2),
    ("Lukas Schneider", "+49 30 901820", "Schneider GmbH", "en", "Europe/Berlin", None, 7),
    ("Yuki Tanaka", "+81 3 1234 5678", "Tanaka Shoji", "en", "Asia/Tokyo", None, 5),
    ("María López", "+34 912 345 678", None, "en", "Europe/Madrid", "maria", 6),
    ("李强", "+86 137 2222 3333", None, "zh-Hans", "Asia/Shanghai", None, 0),
    ("刘芳", "+86 135 6666 7777", "蓝海文化", "zh-Hans", "Asia/Shanghai", None, 1),
]

# Each team's agents, then the supervisor who leads it (a member too, so they hear its messages).
DEMO_TEAMS = {
    "售前 Sales": ("wangfang", "zhangwei", "emma", "lina"),
    "Support 售后": ("liuyang", "james", "maria", "sarah"),
}

DEMO_DEVICES = {"wangfang": "1001", "zhangwei": "1002", "liuyang": "1003", "emma": "1004", "james": "1005",
                "maria": "1006"}


async def seed(db: Database, accounts: AccountService, clock: Clock) -> list[tuple[str, str, str]]:
    """Create what is missing of the demo data; return the logins to print."""
    logins = []
    users = {}
    for username, name, role, locale in DEMO_USERS:
        with contextlib.suppress(Conflict):  # already seeded by an earlier run
            await accounts.create_user(SYSTEM, username, DEMO_PASSWORD, role, name, locale)
        logins.append((username, DEMO_PASSWORD, role.value))
    for user in await accounts.list_users(limit=200):
        users[user.username] = user.id
    agents = AgentService(db, clock, _Quiet())
    for username, extension in DEMO_DEVICES.items():
        with contextlib.suppress(Conflict):
            await agents.add_device(SYSTEM, users[username], DeviceKind.EXTENSION, extension, "desk phone")
    await _teams(TeamService(db, clock, _Quiet()), users)
    await _customers(db, clock, users)
    await _routing(db, clock, users)
    return logins


# Skills with each agent's proficiency (1–5); queues want them; dispositions close each call.
DEMO_SKILLS = {"mandarin": "普通话", "english": "英语", "billing": "账务"}
DEMO_PROFICIENCY = {
    "wangfang": {"mandarin": 5, "english": 2}, "zhangwei": {"mandarin": 5, "billing": 4},
    "liuyang": {"mandarin": 4, "english": 3, "billing": 2}, "emma": {"english": 5, "mandarin": 1},
    "james": {"english": 5, "billing": 3}, "maria": {"english": 4},
}
DEMO_QUEUES = [
    QueueSettings("sales", "Sales", "销售", skills=(SkillWant("mandarin", 2),), max_wait_s=120,
                  overflow_action=OverflowAction.QUEUE, overflow_queue="support", wrap_up_s=45),
    QueueSettings("support", "Support", "售后服务", wrap_up_s=60, max_queue=20,
                  overflow_action=OverflowAction.CALLBACK),
    QueueSettings("billing", "Billing", "账务", skills=(SkillWant("billing", 2),), max_wait_s=180,
                  overflow_action=OverflowAction.VOICEMAIL, wrap_up_s=90),
    QueueSettings("english", "English line", "英语专线", skills=(SkillWant("english", 3),), wrap_up_s=60),
]
DEMO_DISPOSITIONS = [
    ("resolved", "Resolved", "已解决", True), ("follow_up", "Follow-up needed", "需要跟进", False),
    ("escalated", "Escalated", "已升级", False), ("wrong_number", "Wrong number", "打错电话", False),
]
# The main line is open around the clock (so a newcomer's calls always route); the billing line keeps
# Beijing office hours with China's public holidays and adjusted working days.
DEMO_NUMBERS = [("+86 10 8888 0000", "sales", False), ("+86 10 8888 0001", "support", False),
                ("+86 10 8888 0002", "billing", True), ("+44 20 7946 0000", "english", False)]


async def _routing(db: Database, clock: Clock, users: dict[str, int]) -> None:
    queues = QueueService(db, clock)
    if await db.fetchval("SELECT COUNT(*) FROM queues"):
        return  # seeded already
    for name, name_zh in DEMO_SKILLS.items():
        with contextlib.suppress(Conflict):
            await queues.create_skill(SYSTEM, name, name_zh)
    for username, levels in DEMO_PROFICIENCY.items():
        await queues.set_agent_skills(SYSTEM, users[username], [SkillWant(k, v) for k, v in levels.items()])
    for settings in sorted(DEMO_QUEUES, key=lambda q: q.overflow_queue is not None):
        queue = await queues.create_queue(SYSTEM, settings)
        for code, label, label_zh, fcr in DEMO_DISPOSITIONS:
            await queues.add_disposition(SYSTEM, queue.id, DispositionDraft(code, label, label_zh, fcr))
    office = await CalendarService(db, clock).create(SYSTEM, Calendar(
        0, "Beijing office", "Asia/Shanghai", make_slots((d, time(9), time(18)) for d in range(5)),
        holiday_country="CN", name_en="Beijing office hours", name_zh="北京办公时间"))
    numbers = NumberService(db, clock, "CN")
    for number, queue_key, office_hours in DEMO_NUMBERS:
        await numbers.create(SYSTEM, NumberDraft(number, queue_key, region="CN",
                                                 calendar=office.calendar.id if office_hours else None,
                                                 closed_action="voicemail" if office_hours else "reject"))


async def _teams(teams: TeamService, users: dict[str, int]) -> None:
    for name in DEMO_TEAMS:
        with contextlib.suppress(Conflict):
            await teams.create(SYSTEM, name)
    ids = {team.name: team.id for team in await teams.list_teams(limit=200)}
    for name, usernames in DEMO_TEAMS.items():
        for username in usernames:
            with contextlib.suppress(Conflict):
                await teams.add_member(SYSTEM, ids[name], users[username])


async def _customers(db: Database, clock: Clock, users: dict[str, int]) -> None:
    customers = CustomerService(db, clock, "CN")
    if await db.fetchval("SELECT COUNT(*) FROM customers"):
        return  # seeded already: a second run must not duplicate customers or orders
    rng = random.Random(2026)  # noqa: S311 - repeatable demo data, not secrets
    now = clock.now_ms()
    drafts = [(i, CustomerDraft(name=name, phones=(PhoneDraft(phone),), company=company, language=language,
                                timezone=zone, dedicated_agent_id=users.get(agent) if agent else None))
              for i, (name, phone, company, language, zone, agent, _) in enumerate(DEMO_CUSTOMERS)]
    await customers.bulk_upsert(SYSTEM, drafts)
    orders: list[tuple[int, OrderDraft]] = []
    for _name, phone, *_rest, count in DEMO_CUSTOMERS:
        for _ in range(count):
            orders.append((len(orders), OrderDraft(
                at_ms=now - rng.randrange(1, 500) * DAY_MS, amount_cents=rng.randrange(2_000, 300_000),
                customer_phone=phone.split(" ext.")[0], external_id=f"demo-{len(orders)}")))
    if orders:
        await customers.bulk_orders(SYSTEM, orders)
    await customers.recompute_values(now)


class _Quiet:
    """The demo seeds before any server runs: there is nobody to push to."""

    async def send(self, pushes: object) -> None:
        """Nothing is connected."""

    async def broadcast(self, room: str, event: str, payload: object) -> None:
        """Nothing is connected."""

    async def end_sessions(self, token_hashes: object) -> None:
        """Nothing is connected."""

    async def join_rooms(self, user_id: int, add: object = (), remove: object = ()) -> None:
        """Nothing is connected."""
