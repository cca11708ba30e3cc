import json

import pytest

from callcenter.accounts.models import SYSTEM, Actor, Role
from callcenter.accounts.service import AccountService, hash_token
from callcenter.clock import FakeClock
from callcenter.db import Database
from callcenter.errors import Conflict, Invalid, RateLimited, Unauthorized
from tests.factories import PASSWORD, RecordingNotifier, account_service, make_user


async def test_create_and_login(accounts: AccountService, db: Database) -> None:
    user = await make_user(accounts, "wangfang", display_name="王芳")
    assert (user.username, user.display_name, user.role) == ("wangfang", "王芳", Role.AGENT)
    stored = await db.fetchval("SELECT password_hash FROM users WHERE id = ?", (user.id,))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    token, session = await accounts.login("wangfang", PASSWORD, "10.0.0.1")
    assert session.user.id == user.id
    assert await db.fetchval("SELECT COUNT(*) FROM sessions WHERE token_hash = ?", (hash_token(token),)) == 1
    assert await db.fetchval("SELECT COUNT(*) FROM sessions WHERE token_hash = ?", (token,)) == 0
    found = await accounts.session_for(token)
    assert found is not None and found.user.username == "wangfang"


async def test_bad_input_names_the_field(accounts: AccountService) -> None:
    with pytest.raises(Invalid) as err:
        await make_user(accounts, "x")
    assert err.value.fields[0].loc == ("username",)
    with pytest.raises(Invalid) as err:
        await make_user(accounts, "short", password="1234")
    assert err.value.fields[0].loc == ("password",)
    await make_user(accounts, "taken")
    with pytest.raises(Conflict) as conflict:
        await make_user(accounts, "taken")
    assert conflict.value.fields[0].loc == ("username",)


async def test_wrong_password_and_unknown_user_fail_alike(accounts: AccountService) -> None:
    await make_user(accounts, "emma")
    for username, password in (("emma", "wrong-password"), ("nobody", PASSWORD)):
        with pytest.raises(Unauthorized) as err:
            await accounts.login(username, password, "10.0.0.1")
        assert err.value.message == "wrong username or password"


async def test_login_is_throttled_per_user_then_released(accounts: AccountService, clock: FakeClock) -> None:
    await make_user(accounts, "emma")
    for i in range(5):
        with pytest.raises(Unauthorized):
            await accounts.login("emma", "wrong-password", f"10.0.0.{i}")
    with pytest.raises(RateLimited):
        await accounts.login("emma", PASSWORD, "10.0.0.9")
    clock.advance(901)
    await accounts.login("emma", PASSWORD, "10.0.0.9")


async def test_login_is_throttled_per_address(accounts: AccountService) -> None:
    await make_user(accounts, "emma")
    for i in range(20):
        with pytest.raises(Unauthorized):
            await accounts.login(f"guess{i}", "wrong-password", "10.9.9.9")
    with pytest.raises(RateLimited):
        await accounts.login("emma", PASSWORD, "10.9.9.9")
    await accounts.login("emma", PASSWORD, "10.0.0.1")


async def test_sessions_expire_when_idle(db: Database, clock: FakeClock, notifier: RecordingNotifier) -> None:
    accounts = account_service(db, clock, notifier, session_ttl_s=600)
    await make_user(accounts, "emma")
    token, _ = await accounts.login("emma", PASSWORD, "ip")
    clock.advance(300)
    assert await accounts.session_for(token) is not None  # slides the expiry
    clock.advance(500)
    assert await accounts.session_for(token) is not None
    clock.advance(601)
    assert await accounts.session_for(token) is None


async def test_disable_ends_every_session_and_is_audited(
    accounts: AccountService, notifier: RecordingNotifier, db: Database
) -> None:
    admin = await make_user(accounts, "admin", Role.ADMIN)
    agent = await make_user(accounts, "emma")
    token1, s1 = await accounts.login("emma", PASSWORD, "ip")
    token2, s2 = await accounts.login("emma", PASSWORD, "ip")
    await accounts.update_user(Actor.of(admin, "10.1.1.1"), agent.id, disabled=True)
    assert await accounts.session_for(token1) is None and await accounts.session_for(token2) is None
    assert sorted(notifier.ended) == sorted([s1.token_hash, s2.token_hash])
    with pytest.raises(Unauthorized):
        await accounts.login("emma", PASSWORD, "ip")
    entry = await db.fetchone(
        "SELECT actor_id, action, target_id, detail, ip FROM audit_log WHERE action = 'user.update'")
    assert entry is not None
    assert (entry["actor_id"], entry["target_id"], entry["ip"]) == (admin.id, str(agent.id), "10.1.1.1")
    assert json.loads(entry["detail"]) == {"disabled": True}


async def test_reset_password_ends_sessions(accounts: AccountService, notifier: RecordingNotifier) -> None:
    await make_user(accounts, "emma")
    token, session = await accounts.login("emma", PASSWORD, "ip")
    user = session.user
    await accounts.reset_password(SYSTEM, user.id, "a-brand-new-password")
    assert await accounts.session_for(token) is None
    assert notifier.ended == [session.token_hash]
    await accounts.login("emma", "a-brand-new-password", "ip")


async def test_admin_cannot_disable_themselves(accounts: AccountService) -> None:
    admin = await make_user(accounts, "admin", Role.ADMIN)
    with pytest.raises(Invalid) as err:
        await accounts.update_user(Actor.of(admin), admin.id, disabled=True)
    assert err.value.fields[0].loc == ("disabled",)


async def test_logout(accounts: AccountService, notifier: RecordingNotifier) -> None:
    await make_user(accounts, "emma")
    token, session = await accounts.login("emma", PASSWORD, "ip")
    await accounts.logout(session.token_hash)
    assert await accounts.session_for(token) is None
    assert notifier.ended == [session.token_hash]
