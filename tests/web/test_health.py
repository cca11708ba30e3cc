"""GET /health: 200 while this node can serve, 503 naming what failed, no session needed."""

from pathlib import Path
from typing import Any

from callcenter.app import create_app
from callcenter.clock import FakeClock
from callcenter.web.keys import DATABASE
from tests.factories import make_settings


async def test_a_single_node_is_healthy_without_a_session(client: Any) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok", "channel": "not configured"}
    assert response.headers["Cache-Control"] == "no-store"


async def test_a_node_without_its_database_is_unavailable(client: Any) -> None:
    database = client.app[DATABASE]
    await database.close()
    try:
        response = await client.get("/health")
    finally:
        await database.connect()  # for the app's own shutdown
    assert response.status == 503
    assert await response.json() == {"status": "unavailable", "database": "failing", "channel": "not configured"}


async def test_a_node_that_cannot_reach_redis_is_unavailable(aiohttp_client: Any, tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens there, so every connection is refused at once.
    settings = make_settings(tmp_path, redis_url="redis://127.0.0.1:9/0")
    client = await aiohttp_client(create_app(settings, FakeClock()))
    response = await client.get("/health")
    assert response.status == 503
    assert await response.json() == {"status": "unavailable", "database": "ok", "channel": "failing"}


async def test_health_is_in_the_api_document(client: Any) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    assert "/health" in document["paths"]
