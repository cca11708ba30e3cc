"""Integrations: tokens issued once and stored hashed, Twilio's auth token encrypted, block lists."""

from __future__ import annotations

import json

import pytest

from callcenter.accounts.models import SYSTEM, Actor
from callcenter.clock import FakeClock
from callcenter.db import Database
from callcenter.errors import Conflict, Invalid
from callcenter.integrations.crypto import SecretBox, SecretUnreadable
from callcenter.integrations.models import IntegrationKind
from callcenter.integrations.service import CACHE_MS, IntegrationService, hash_token
from tests.integrations.conftest import SECRET_KEY

GENERIC, ZAMMAD, TWILIO = IntegrationKind.GENERIC, IntegrationKind.ZAMMAD, IntegrationKind.TWILIO
SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f3e2d1c0b9a8f3e2d1c0b9a8f3e2d1c0"


async def test_generic_and_zammad_get_a_token_stored_only_as_its_hash(
    integrations: IntegrationService, db: Database
) -> None:
    for kind in (GENERIC, ZAMMAD):
        integration, token = await integrations.create(SYSTEM, kind, f"{kind} pbx", "cn", [])
        assert token is not None and len(token) >= 40
        assert integration.kind is kind and integration.default_region == "CN" and integration.enabled
        row = await db.fetchone("SELECT * FROM integrations WHERE id = ?", (integration.id,))
        assert row is not None and row["token_hash"] == hash_token(token)
        assert token not in json.dumps(row)
        assert await integrations.authenticate(kind, token) == integration


async def test_token_auth_refuses_wrong_tokens_other_kinds_and_disabled(
    integrations: IntegrationService, admin: Actor
) -> None:
    generic, token = await integrations.create(SYSTEM, GENERIC, "Asterisk", "CN", [])
    assert token is not None
    assert await integrations.authenticate(GENERIC, token + "x") is None
    assert await integrations.authenticate(GENERIC, "") is None
    assert await integrations.authenticate(ZAMMAD, token) is None
    await integrations.disable(admin, generic.id)
    assert await integrations.authenticate(GENERIC, token) is None
    await integrations.update(admin, generic.id, enabled=True)
    assert (await integrations.authenticate(GENERIC, token)) is not None


async def test_rotation_voids_the_old_token(integrations: IntegrationService, admin: Actor) -> None:
    zammad, old = await integrations.create(SYSTEM, ZAMMAD, "Zammad", "DE", [])
    assert old is not None and await integrations.authenticate(ZAMMAD, old) is not None
    rotated, new = await integrations.rotate_token(admin, zammad.id)
    assert new != old and rotated.token_hash == hash_token(new)
    assert await integrations.authenticate(ZAMMAD, old) is None
    assert await integrations.authenticate(ZAMMAD, new) == rotated


async def test_another_process_sees_a_change_within_the_cache_lifetime(
    db: Database, clock: FakeClock, box: SecretBox, integrations: IntegrationService, admin: Actor
) -> None:
    node_b = IntegrationService(db, clock, box)
    generic, token = await integrations.create(SYSTEM, GENERIC, "PBX", "CN", [])
    assert token is not None
    # A token created elsewhere works at once: misses are read from the database.
    assert await node_b.authenticate(GENERIC, token) is not None
    await integrations.disable(admin, generic.id)
    assert await integrations.authenticate(GENERIC, token) is None  # this process: at once
    clock.advance(CACHE_MS / 1000 - 0.001)
    assert await node_b.authenticate(GENERIC, token) is not None  # the other: still cached
    clock.advance(0.002)
    assert await node_b.authenticate(GENERIC, token) is None


async def test_twilio_auth_token_is_stored_encrypted_and_decrypts(
    integrations: IntegrationService, db: Database
) -> None:
    twilio, token = await integrations.create(SYSTEM, TWILIO, "Twilio", "GB", [], SID, AUTH_TOKEN)
    assert token is None and twilio.token_hash is None and twilio.account_sid == SID
    row = await db.fetchone("SELECT * FROM integrations WHERE id = ?", (twilio.id,))
    assert row is not None and AUTH_TOKEN not in json.dumps(row)
    assert row["auth_token_secret"] and row["auth_token_secret"] != AUTH_TOKEN
    found = await integrations.twilio_for(SID)
    assert found == twilio
    assert integrations.twilio_auth_token(found) == AUTH_TOKEN
    assert await integrations.twilio_for("AC" + "f" * 32) is None
    audit = json.dumps(await db.fetchall("SELECT * FROM audit_log"))
    assert AUTH_TOKEN not in audit


async def test_a_different_secret_key_cannot_decrypt(integrations: IntegrationService, db: Database,
                                                     clock: FakeClock) -> None:
    twilio, _ = await integrations.create(SYSTEM, TWILIO, "Twilio", "GB", [], SID, AUTH_TOKEN)
    other = IntegrationService(db, clock, SecretBox(SECRET_KEY + "-rotated"))
    with pytest.raises(SecretUnreadable):
        other.twilio_auth_token(twilio)
    assert SecretBox(SECRET_KEY).decrypt(twilio.auth_token_secret or "") == AUTH_TOKEN


async def test_twilio_credentials_change_and_the_account_sid_is_unique(
    integrations: IntegrationService, admin: Actor
) -> None:
    twilio, _ = await integrations.create(SYSTEM, TWILIO, "Twilio", "GB", [], SID, AUTH_TOKEN)
    with pytest.raises(Conflict) as taken:
        await integrations.create(SYSTEM, TWILIO, "Again", "GB", [], SID, AUTH_TOKEN)
    assert taken.value.fields[0].loc == ("account_sid",)
    updated = await integrations.update(admin, twilio.id, auth_token="new-token-0001")
    assert integrations.twilio_auth_token(updated) == "new-token-0001"
    with pytest.raises(Invalid) as no_token:
        await integrations.rotate_token(admin, twilio.id)
    assert no_token.value.fields[0].loc == ("kind",)


async def test_kind_specific_fields_are_checked(integrations: IntegrationService) -> None:
    with pytest.raises(Invalid) as missing:
        await integrations.create(SYSTEM, TWILIO, "Twilio", "GB", [], None, None)
    assert {f.loc for f in missing.value.fields} == {("account_sid",), ("auth_token",)}
    with pytest.raises(Invalid) as bad_sid:
        await integrations.create(SYSTEM, TWILIO, "Twilio", "GB", [], "AC123", AUTH_TOKEN)
    assert [f.loc for f in bad_sid.value.fields] == [("account_sid",)]
    with pytest.raises(Invalid) as extra:
        await integrations.create(SYSTEM, GENERIC, "PBX", "GB", [], SID, None)
    assert [f.loc for f in extra.value.fields] == [("account_sid",)]
    with pytest.raises(Invalid) as region:
        await integrations.create(SYSTEM, GENERIC, "PBX", "XX", [])
    assert [f.loc for f in region.value.fields] == [("default_region",)]
    with pytest.raises(Invalid) as name:
        await integrations.create(SYSTEM, GENERIC, "   ", "CN", [])
    assert [f.loc for f in name.value.fields] == [("name",)]


async def test_block_list_is_normalized_in_the_integration_region(
    integrations: IntegrationService, admin: Actor
) -> None:
    integration, _ = await integrations.create(
        SYSTEM, GENERIC, "PBX", "CN", ["138 0013 8000", "+8613800138000", "010 6552 9988", "0044 20 7946 0958"]
    )
    assert integration.block_list == ("+8613800138000", "+861065529988", "+442079460958")
    assert integration.is_blocked("+861065529988")
    assert not integration.is_blocked("+8613800138001")
    assert not integration.is_blocked(None)
    # A new list is read in the new region when both change together.
    updated = await integrations.update(admin, integration.id, default_region="GB", block_list=["020 7946 0958"])
    assert updated.block_list == ("+442079460958",) and updated.default_region == "GB"
    stored = await integrations.get(integration.id)
    assert stored.is_blocked("+442079460958") and not stored.is_blocked("+8613800138000")


async def test_bad_block_list_entries_are_each_named(integrations: IntegrationService, db: Database) -> None:
    with pytest.raises(Invalid) as err:
        await integrations.create(SYSTEM, GENERIC, "PBX", "CN", ["13800138000", "12345", "anonymous"])
    assert [f.loc for f in err.value.fields] == [("block_list", 1), ("block_list", 2)]
    assert err.value.status == 422
    assert await db.fetchval("SELECT COUNT(*) FROM integrations") == 0


async def test_admin_changes_are_audited_without_secrets(
    integrations: IntegrationService, db: Database, admin: Actor
) -> None:
    generic, token = await integrations.create(admin, GENERIC, "PBX", "CN", ["13800138000"])
    await integrations.update(admin, generic.id, name="Main PBX")
    await integrations.rotate_token(admin, generic.id)
    await integrations.disable(admin, generic.id)
    rows = await db.fetchall(
        "SELECT action, target_id, detail, ip FROM audit_log WHERE target_kind = 'integration' ORDER BY id"
    )
    assert [r["action"] for r in rows] == [
        "integration.create", "integration.update", "integration.rotate_token", "integration.disable"
    ]
    assert {r["target_id"] for r in rows} == {str(generic.id)} and {r["ip"] for r in rows} == {"10.0.0.9"}
    assert json.loads(rows[0]["detail"])["block_list"] == ["+8613800138000"]
    assert token is not None and all(token not in r["detail"] for r in rows)
    assert all(hash_token(token) not in r["detail"] for r in rows)


async def test_list_pages_and_filters(integrations: IntegrationService) -> None:
    made = [(await integrations.create(SYSTEM, kind, f"i{n}", "CN", []))[0]
            for n, kind in enumerate([GENERIC, ZAMMAD, GENERIC])]
    assert [i.id for i in await integrations.list(limit=2)] == [made[0].id, made[1].id]
    assert [i.id for i in await integrations.list(after_id=made[1].id)] == [made[2].id]
    assert [i.name for i in await integrations.list(kind=GENERIC)] == ["i0", "i2"]
    await integrations.disable(SYSTEM, made[0].id)
    assert [i.name for i in await integrations.list(enabled=True)] == ["i1", "i2"]
