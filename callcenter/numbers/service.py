"""Dialled numbers: admin changes (normalised, validated, audited) and the cached route lookup for routing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from callcenter.accounts.models import Actor
from callcenter.audit.service import record
from callcenter.calendars.hours import is_open
from callcenter.clock import Clock
from callcenter.customers.phones import known_region, normalize
from callcenter.db import Conn, Database
from callcenter.errors import Conflict, Invalid, NotFound, field_error
from callcenter.numbers import store
from callcenter.numbers.models import (
    DRAFT_FIELDS,
    MAX_LABEL,
    MAX_MESSAGE,
    MAX_NUMBER_TEXT,
    ClosedAction,
    DialledNumber,
    NumberDraft,
    NumberRoute,
)

# Every inbound call looks its dialled number up, so routes are kept in memory; admins on another
# node (or the CLI) may change them, so a route is trusted only this long.
ROUTE_MS = 5_000
MAX_CACHED = 4_096


def _text(value: str | None, field: str, limit: int) -> str | None:
    """An optional text, trimmed; empty means none."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > limit:
        raise Invalid(f"{field} too long", field_error(field, f"at most {limit} characters"))
    return value


def check_region(region: str) -> str:
    """An ISO 3166 alpha-2 region ``phonenumbers`` knows, upper-cased; Invalid naming ``region`` otherwise."""
    code = region.strip().upper()
    if len(code) != 2 or not known_region(code):
        raise Invalid("unknown region", field_error("region", "an ISO 3166 region such as CN or GB"))
    return code


def e164(raw: str, region: str) -> str:
    """A number as typed (national forms read in ``region``) in E.164; Invalid naming ``number`` otherwise."""
    phone = normalize(raw.strip(), region) if 0 < len(raw.strip()) <= MAX_NUMBER_TEXT else None
    if phone is None or phone.extension:
        raise Invalid("not a phone number", field_error("number", f"not a phone number in region {region}"))
    return phone.e164


class NumberService:
    """Owns dialled numbers and answers routing's "which queue, and is it open?" from a short-lived cache."""

    def __init__(self, db: Database, clock: Clock, default_region: str, route_ms: int = ROUTE_MS) -> None:
        self.db = db
        self.clock = clock
        self.default_region = default_region.upper()
        self.route_ms = route_ms
        self._routes: dict[str, tuple[NumberRoute | None, int]] = {}
        self._generation = 0  # bumped by each local change, so a lookup begun before it is not kept

    async def list_numbers(self, *, after_id: int = 0, limit: int = 50) -> list[DialledNumber]:
        """Numbers by id with their queue and calendar names, one page."""
        async with self.db.read() as conn:
            return await store.list_numbers(conn, after_id=after_id, limit=limit)

    async def get(self, number_id: int) -> DialledNumber:
        """One number, or NotFound."""
        async with self.db.read() as conn:
            found = await store.get_number(conn, number_id)
        if found is None:
            raise NotFound("no such number")
        return found

    async def choices(self) -> tuple[list[tuple[str, str]], list[tuple[int, str]]]:
        """The queues (key, name) and calendars (id, name) a number can point at, for the admin page."""
        async with self.db.read() as conn:
            return await store.queue_choices(conn), await store.calendar_choices(conn)

    async def create(self, actor: Actor, draft: NumberDraft) -> DialledNumber:
        """Add a number; one already stored (in any format) is a Conflict naming ``number``."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            values = await self._check(conn, draft)
            new_id = await store.insert_number(conn, *values, now)
            if new_id is None:
                raise Conflict("number taken", field_error("number", "this number is already set up"))
            await record(conn, now, actor, "number.create", "number", new_id, number=values[0], queue=draft.queue)
            created = await store.get_number(conn, new_id)
        assert created is not None
        self.forget_routes()
        return created

    async def update(self, actor: Actor, number_id: int, changes: Mapping[str, Any]) -> DialledNumber:
        """Change some fields of a number (``changes`` keys are NumberDraft fields); the rest stay."""
        unknown = set(changes) - DRAFT_FIELDS
        if unknown:
            raise ValueError(f"not number fields: {sorted(unknown)}")
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            current = await store.get_number(conn, number_id)
            if current is None:
                raise NotFound("no such number")
            values = await self._check(conn, replace(NumberDraft.of(current), **changes))
            if await store.number_taken(conn, values[0], number_id):
                raise Conflict("number taken", field_error("number", "this number is already set up"))
            await store.update_number(conn, number_id, *values, now)
            await record(conn, now, actor, "number.update", "number", number_id, number=values[0],
                         was=current.number, fields=sorted(changes))
            updated = await store.get_number(conn, number_id)
        assert updated is not None
        self.forget_routes()
        return updated

    async def delete(self, actor: Actor, number_id: int) -> None:
        """Remove a number; calls made to it keep their history without it."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            current = await store.get_number(conn, number_id)
            if current is None:
                raise NotFound("no such number")
            await store.delete_number(conn, number_id)
            await record(conn, now, actor, "number.delete", "number", number_id, number=current.number)
        self.forget_routes()

    async def _check(self, conn: Conn, draft: NumberDraft
                     ) -> tuple[str, str | None, int, str, int | None, str, str | None]:
        """The row values of a draft, or Invalid naming the first bad field."""
        region = check_region(draft.region or self.default_region)
        number = e164(draft.number, region)
        label = _text(draft.label, "label", MAX_LABEL)
        queue_id = await store.queue_id(conn, draft.queue.strip())
        if queue_id is None:
            raise Invalid("unknown queue", field_error("queue", "no queue has this key"))
        if draft.calendar is not None and not await store.calendar_exists(conn, draft.calendar):
            raise Invalid("unknown calendar", field_error("calendar", "no such calendar"))
        if draft.closed_action not in set(ClosedAction):
            raise Invalid("unknown closed action",
                          field_error("closed_action", f"one of {', '.join(a.value for a in ClosedAction)}"))
        message = _text(draft.closed_message, "closed_message", MAX_MESSAGE)
        return number, label, queue_id, region, draft.calendar, draft.closed_action, message

    async def route(self, number_raw: str, now_ms: int) -> tuple[NumberRoute, bool] | None:
        """The route of a dialled number as a PBX sent it, and whether its hours are open at ``now_ms``.

        None when the number is unusable or not one of ours. National forms are read in the default region.
        """
        phone = normalize(number_raw, self.default_region)
        if phone is None:
            return None
        found = await self._route(phone.e164)
        if found is None:
            return None
        return found, found.calendar is None or is_open(found.calendar, now_ms)

    async def _route(self, number: str) -> NumberRoute | None:
        now = self.clock.now_ms()
        cached = self._routes.get(number)
        if cached is not None and 0 <= now - cached[1] < self.route_ms:
            return cached[0]
        generation = self._generation
        found = await self.db.run_read(lambda conn: store.route_for(conn, number))
        if generation == self._generation:
            if len(self._routes) >= MAX_CACHED:
                self._routes.clear()
            self._routes[number] = (found, now)
        return found

    def forget_routes(self) -> None:
        """Drop every cached route: a number or a calendar changed here."""
        self._generation += 1
        self._routes = {}
