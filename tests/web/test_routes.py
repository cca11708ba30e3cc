"""Every route declares a role policy and is in the OpenAPI document; headers and errors are uniform."""

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from callcenter.app import create_app
from callcenter.web.http import spec_of
from callcenter.web.keys import OPENAPI
from tests.factories import make_settings

# Routes not declared through a RouteTable, each with the reason.
UNDECLARED = {
    "/socket.io/": "python-socketio's endpoint; authenticated in its connect handler",
    "/static": "static files",
}


def _routes(app: web.Application) -> list[tuple[str, str, Any]]:
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix") or ""
        found.append((route.method, path, route.handler))
    return found


def test_every_route_has_a_policy_and_is_documented(tmp_path: Any) -> None:
    app = create_app(make_settings(tmp_path))
    doc = app[OPENAPI]
    missing_policy, undocumented = [], []
    for method, path, handler in _routes(app):
        if method == "HEAD" or path in UNDECLARED:
            continue
        spec = spec_of(handler)
        if spec is None:
            missing_policy.append(f"{method} {path}")
            continue
        operation = doc["paths"].get(path, {}).get(method.lower())
        if operation is None or operation["x-policy"] != spec.policy.value:
            undocumented.append(f"{method} {path}")
    assert missing_policy == []
    assert undocumented == []
    assert len(doc["paths"]) >= 10


def test_openapi_references_resolve(tmp_path: Any) -> None:
    doc = create_app(make_settings(tmp_path))[OPENAPI]
    refs = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    names = set(doc["components"]["schemas"])
    assert refs and all(r.removeprefix("#/components/schemas/") in names for r in refs)


async def test_security_headers_and_error_body(client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status == 404
    assert (await response.json()) == {"error": {"code": "not_found", "message": "Not Found", "fields": []}}
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "same-origin"
    page = await client.get("/login")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


async def test_openapi_is_served(client: TestClient[Any, Any]) -> None:
    doc = await (await client.get("/api/openapi.json")).json()
    assert doc["openapi"] == "3.1.0"
    assert doc["paths"]["/api/users"]["post"]["x-policy"] == "admin"
