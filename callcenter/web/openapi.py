"""The OpenAPI 3.1 document, generated from the route table and its pydantic schemas."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from callcenter import __version__
from callcenter.schemas import ErrorBody
from callcenter.web.http import Policy, RouteSpec, spec_of

_PARAM = re.compile(r"\{(\w+)\}")


def route_specs(app: web.Application) -> list[RouteSpec]:
    """Every declared route of the application, in router order."""
    found = []
    for route in app.router.routes():
        spec = spec_of(route.handler)
        if spec is not None and route.method != "HEAD":
            found.append(spec)
    return found


def build_openapi(app: web.Application) -> dict[str, Any]:
    """Describe every declared route: policy, parameters, bodies, answers, errors."""
    specs = route_specs(app)
    models: set[type[BaseModel]] = {ErrorBody}
    for spec in specs:
        models.update(m for m in (spec.body, spec.response) if m is not None)
    refs, schema = models_json_schema(
        [(m, "validation" if m in {s.body for s in specs} else "serialization") for m in models],
        ref_template="#/components/schemas/{model}",
    )
    ref_of: dict[type[BaseModel], str] = {}
    for model, mode in refs:
        if isinstance(model, type) and issubclass(model, BaseModel):
            ref_of[model] = refs[(model, mode)]["$ref"]
    components: dict[str, Any] = dict(schema.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, ref_of, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "callcenter", "version": __version__,
                 "description": "Every route, its role policy (x-policy) and its schemas."},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "cc_session"},
                "integration": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def _operation(spec: RouteSpec, ref_of: dict[type[BaseModel], str], components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": spec.summary,
        "tags": [spec.tag],
        "operationId": spec.method.lower() + "_" + re.sub(r"[^a-z0-9]+", "_", spec.path.lower()).strip("_"),
        "x-policy": spec.policy.value,
        "parameters": [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in _PARAM.findall(spec.path)
        ],
        "responses": {},
    }
    if spec.query is not None:
        query_schema = spec.query.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(query_schema.get("$defs", {}))
        for attr, field in spec.query.model_fields.items():
            name = field.alias or attr
            op["parameters"].append({
                "name": name, "in": "query", "required": field.is_required(),
                "description": field.description or "",
                "schema": query_schema["properties"][name],
            })
    if spec.body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": {"$ref": ref_of[spec.body]}}}}
    elif spec.form:
        op["requestBody"] = {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}
    if spec.response is not None:
        content = {spec.content_type: {"schema": {"$ref": ref_of[spec.response]}}}
    else:
        content = {spec.content_type: {"schema": {"type": "string"}}}
    op["responses"][str(spec.status)] = {"description": "success", "content": content}
    error = {"description": "error", "content": {"application/json": {"schema": {"$ref": ref_of[ErrorBody]}}}}
    if spec.body is not None or spec.query is not None or op["parameters"]:
        op["responses"]["422"] = error
    if spec.policy not in {Policy.PUBLIC, Policy.INTEGRATION}:
        op["security"] = [{"session": []}]
        op["responses"]["401"] = error
        op["responses"]["403"] = error
    return op
