"""The client's address behind a reverse proxy: X-Forwarded-For is believed only from trusted proxies."""

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from callcenter.app import create_app
from callcenter.clock import FakeClock
from callcenter.settings import Settings
from callcenter.web.keys import DATABASE
from tests.factories import make_settings, origin


async def failed_login_address(aiohttp_client: Any, settings: Settings, clock: FakeClock,
                               forwarded: list[str]) -> str:
    """Fail one login through a test server (whose peer is 127.0.0.1); return the address it was counted against."""
    client = await aiohttp_client(create_app(settings, clock))
    headers = {**origin(client), **({"X-Forwarded-For": ", ".join(forwarded)} if forwarded else {})}
    response = await client.post("/api/session", json={"username": "nobody", "password": "wrong-password-1"},
                                 headers=headers)
    assert response.status == 401
    return str(await client.app[DATABASE].fetchval("SELECT ip FROM login_attempts"))


@pytest.mark.parametrize(("trusted", "forwarded", "counted"), [
    ("", ["203.0.113.9"], "127.0.0.1"),  # no proxy configured: the header is anyone's to write
    ("10.0.0.0/8", ["203.0.113.9"], "127.0.0.1"),  # the peer is not a trusted proxy
    ("127.0.0.1", [], "127.0.0.1"),  # a trusted proxy that sent no header
    ("127.0.0.1", ["203.0.113.9"], "203.0.113.9"),
    # the client wrote its own header; the proxy appended the address it saw, which is the one to count
    ("127.0.0.1", ["198.51.100.1", "203.0.113.9"], "203.0.113.9"),
    # two proxies of ours: past both, the first address none of ours vouches for
    ("127.0.0.1, 10.0.0.0/8", ["198.51.100.1", "203.0.113.9", "10.1.2.3"], "203.0.113.9"),
    # garbage where an address should be: nothing further left is believed
    ("127.0.0.1, 10.0.0.0/8", ["203.0.113.9", "not-an-address", "10.1.2.3"], "10.1.2.3"),
    ("::1, 127.0.0.1", ["2001:db8::7"], "2001:db8::7"),
])
async def test_the_address_counted_for_a_login(aiohttp_client: Any, tmp_path: Path, clock: FakeClock,
                                               trusted: str, forwarded: list[str], counted: str) -> None:
    settings = make_settings(tmp_path, trusted_proxies=trusted)
    assert await failed_login_address(aiohttp_client, settings, clock, forwarded) == counted


def test_a_bad_proxy_address_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"10\.0\.0\.300"):
        Settings(database_url=f"sqlite:///{tmp_path}/x.db", trusted_proxies="127.0.0.1, 10.0.0.300")
