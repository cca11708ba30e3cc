"""Integrations: issuing and checking tokens, keeping Twilio's auth token encrypted, block lists."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import phonenumbers as pn

from callcenter.accounts.models import Actor
from callcenter.audit.service import record
from callcenter.clock import Clock
from callcenter.customers.phones import normalize
from callcenter.db import Conn, Database
from callcenter.errors import Conflict, FieldError, Invalid, NotFound, field_error
from callcenter.integrations import store
from callcenter.integrations.crypto import SecretBox
from callcenter.integrations.models import Integration, IntegrationKind

# Authentication runs on every telephony event, so integrations are kept in memory; another
# process (a second node, the CLI) may change them, so an entry is trusted only this long.
CACHE_MS = 5_000
MAX_BLOCK_LIST = 1_000
MAX_NAME = 80
_ACCOUNT_SID = re.compile(r"^AC[0-9A-Za-z]{32}$")
_AUTH_TOKEN = re.compile(r"^\S{1,256}$")

Loader = Callable[[Conn, str], Awaitable[Integration | None]]


def hash_token(token: str) -> str:
    """What is stored for an integration token: its SHA-256, so a leaked table lets nobody post."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_region(region: str) -> str:
    """An ISO 3166 alpha-2 region ``phonenumbers`` knows, upper-cased; Invalid otherwise."""
    code = region.strip().upper()
    if len(code) != 2 or code not in pn.SUPPORTED_REGIONS:
        raise Invalid("unknown region", field_error("default_region", "an ISO 3166 region such as CN or GB"))
    return code


def normalize_block_list(entries: Sequence[str], region: str) -> list[str]:
    """Each entry as E.164 (national forms read in ``region``), without duplicates, in the given order.

    Every entry that is not a usable phone number is named in one Invalid, as ``block_list[i]``.
    """
    if len(entries) > MAX_BLOCK_LIST:
        raise Invalid("block list too long", field_error("block_list", f"at most {MAX_BLOCK_LIST} numbers"))
    found: dict[str, None] = {}
    bad: list[FieldError] = []
    for index, raw in enumerate(entries):
        phone = normalize(raw, region)
        if phone is None:
            bad.append(FieldError(("block_list", index), f"not a phone number in region {region}"))
        else:
            found[phone.e164] = None
    if bad:
        raise Invalid("block list has entries that are not phone numbers", bad)
    return list(found)


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise Invalid("bad name", field_error("name", f"1–{MAX_NAME} characters"))
    return name


def _check_twilio(account_sid: str | None, auth_token: str | None, *, required: bool) -> list[FieldError]:
    bad = []
    if (account_sid is not None or required) and not _ACCOUNT_SID.match(account_sid or ""):
        bad.append(FieldError(("account_sid",), "AC followed by 32 letters or digits"))
    if (auth_token is not None or required) and not _AUTH_TOKEN.match(auth_token or ""):
        bad.append(FieldError(("auth_token",), "the account's auth token, without spaces"))
    return bad


def _no_twilio_fields(account_sid: str | None, auth_token: str | None) -> None:
    bad = [FieldError((name,), "only twilio integrations have this")
           for name, value in (("account_sid", account_sid), ("auth_token", auth_token)) if value is not None]
    if bad:
        raise Invalid("not a twilio integration", bad)


class IntegrationService:
    """Admin changes (each audited) and the hot-path checks telephony endpoints make."""

    def __init__(self, db: Database, clock: Clock, box: SecretBox, cache_ms: int = CACHE_MS) -> None:
        self.db = db
        self.clock = clock
        self.box = box
        self.cache_ms = cache_ms
        self._by_hash: dict[str, tuple[Integration, int]] = {}
        self._by_sid: dict[str, tuple[Integration, int]] = {}
        self._plain: dict[str, str] = {}

    async def create(
        self, actor: Actor, kind: IntegrationKind, name: str, default_region: str, block_list: Sequence[str],
        account_sid: str | None = None, auth_token: str | None = None,
    ) -> tuple[Integration, str | None]:
        """Add an integration; returns the clear token once (generic, zammad) — it is stored only hashed."""
        name = _check_name(name)
        region = check_region(default_region)
        blocked = normalize_block_list(block_list, region)
        token: str | None = None
        token_hash = secret = None
        if kind is IntegrationKind.TWILIO:
            bad = _check_twilio(account_sid, auth_token, required=True)
            if bad:
                raise Invalid("twilio needs its account SID and auth token", bad)
            secret = self.box.encrypt(auth_token or "")
        else:
            _no_twilio_fields(account_sid, auth_token)
            token = secrets.token_urlsafe(32)
            token_hash = hash_token(token)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            integration = await store.insert_integration(
                conn, kind, name, token_hash, account_sid, secret, region, blocked, now
            )
            if integration is None:
                raise Conflict("account SID taken", field_error("account_sid", "another integration uses it"))
            await record(conn, now, actor, "integration.create", "integration", integration.id, kind=kind.value,
                         name=name, default_region=region, block_list=blocked)
        self._forget()
        return integration, token

    async def get(self, integration_id: int) -> Integration:
        """One integration, or NotFound."""
        async with self.db.read() as conn:
            integration = await store.get_integration(conn, integration_id)
        if integration is None:
            raise NotFound("no such integration")
        return integration

    async def list(
        self, *, after_id: int = 0, limit: int = 50, kind: IntegrationKind | None = None, enabled: bool | None = None
    ) -> list[Integration]:
        """Integrations by id, filtered, one page."""
        async with self.db.read() as conn:
            return await store.list_integrations(conn, after_id=after_id, limit=limit, kind=kind, enabled=enabled)

    async def update(
        self, actor: Actor, integration_id: int, *, name: str | None = None, default_region: str | None = None,
        block_list: Sequence[str] | None = None, enabled: bool | None = None, account_sid: str | None = None,
        auth_token: str | None = None,
    ) -> Integration:
        """Change an integration; a new block list is read in the (new) default region."""
        current = await self.get(integration_id)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = _check_name(name)
        if default_region is not None:
            changes["default_region"] = check_region(default_region)
        if block_list is not None:
            changes["block_list"] = normalize_block_list(block_list, changes.get("default_region",
                                                                                 current.default_region))
        if enabled is not None:
            changes["enabled"] = enabled
        if current.kind is IntegrationKind.TWILIO:
            bad = _check_twilio(account_sid, auth_token, required=False)
            if bad:
                raise Invalid("bad twilio credentials", bad)
            if account_sid is not None:
                changes["account_sid"] = account_sid
            if auth_token is not None:
                changes["auth_token_secret"] = self.box.encrypt(auth_token)
        else:
            _no_twilio_fields(account_sid, auth_token)
        if not changes:
            return current
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            if account_sid is not None and await store.account_sid_taken(conn, account_sid, integration_id):
                raise Conflict("account SID taken", field_error("account_sid", "another integration uses it"))
            if not await store.update_integration(conn, integration_id, now, **changes):
                raise NotFound("no such integration")
            updated = await store.get_integration(conn, integration_id)
            detail = {k: ("changed" if k == "auth_token_secret" else v) for k, v in changes.items()}
            action = "integration.update"
            if set(changes) == {"enabled"}:
                action = "integration.enable" if enabled else "integration.disable"
            await record(conn, now, actor, action, "integration", integration_id, **detail)
        assert updated is not None
        self._forget()
        return updated

    async def disable(self, actor: Actor, integration_id: int) -> Integration:
        """Stop accepting events from an integration at once (other nodes within ``CACHE_MS``)."""
        return await self.update(actor, integration_id, enabled=False)

    async def rotate_token(self, actor: Actor, integration_id: int) -> tuple[Integration, str]:
        """Issue a new token and void the old one; returns the clear token once."""
        current = await self.get(integration_id)
        if not current.kind.has_token:
            raise Invalid("twilio integrations have no token", field_error("kind", "twilio signs with its auth token"))
        token = secrets.token_urlsafe(32)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            if not await store.update_integration(conn, integration_id, now, token_hash=hash_token(token)):
                raise NotFound("no such integration")
            updated = await store.get_integration(conn, integration_id)
            await record(conn, now, actor, "integration.rotate_token", "integration", integration_id)
        assert updated is not None
        self._forget()
        return updated, token

    async def authenticate(self, kind: IntegrationKind, token: str) -> Integration | None:
        """The enabled integration of this kind that issued ``token``, or None."""
        if not token:
            return None
        digest = hash_token(token)
        found = await self._cached(self._by_hash, digest, store.get_by_token_hash)
        if found is None or found.kind is not kind or not found.enabled:
            return None
        # The lookup is by hash already; the constant-time check keeps a timing side channel
        # from ever depending on how much of a stored hash a guess shares.
        return found if hmac.compare_digest(found.token_hash or "", digest) else None

    async def twilio_for(self, account_sid: str) -> Integration | None:
        """The enabled Twilio integration of an account (Twilio posts ``AccountSid``), or None."""
        if not account_sid:
            return None
        found = await self._cached(self._by_sid, account_sid, store.get_by_account_sid)
        if found is None or found.kind is not IntegrationKind.TWILIO or not found.enabled:
            return None
        return found

    def twilio_auth_token(self, integration: Integration) -> str:
        """The clear auth token, to check ``X-Twilio-Signature``; ``SecretUnreadable`` if the key changed."""
        secret = integration.auth_token_secret
        if secret is None:
            raise ValueError(f"integration {integration.id} is not a twilio integration")
        plain = self._plain.get(secret)
        if plain is None:
            plain = self._plain[secret] = self.box.decrypt(secret)
        return plain

    async def _cached(self, cache: dict[str, tuple[Integration, int]], key: str, load: Loader) -> Integration | None:
        now = self.clock.now_ms()
        hit = cache.get(key)
        if hit is not None and 0 <= now - hit[1] < self.cache_ms:
            return hit[0]
        async with self.db.read() as conn:
            found = await load(conn, key)
        if found is None:
            # Misses are not remembered: the table bounds the cache, not what strangers send.
            cache.pop(key, None)
        else:
            cache[key] = (found, now)
        return found

    def _forget(self) -> None:
        self._by_hash.clear()
        self._by_sid.clear()
        self._plain.clear()
