"""The admin API framework: auth, permissions, validation errors in Japanese, OpenAPI."""

from __future__ import annotations

from pydantic import BaseModel, Field

from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.routing import ApiRouter, Call


class Thing(BaseModel):
    name: str = Field(min_length=1, max_length=10)
    count: int = Field(ge=0)


class Tokens:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return {
            "editor": Principal(1, "editor", "編集者", frozenset({"things.edit"})),
            "viewer": Principal(2, "viewer", "閲覧者", frozenset()),
        }.get(token)


def make_app():
    router = ApiRouter("things")

    @router.route("POST", "/things", summary="作成", permission="things.edit", body=Thing, response=Thing,
                  status=201)
    async def create_thing(call: Call) -> Thing:
        return call.body

    return create_admin_app(Tokens(), [router])


async def test_auth_permission_and_validation(aiohttp_client) -> None:
    client = await aiohttp_client(make_app())
    r = await client.post("/things", json={"name": "a", "count": 1})
    assert r.status == 401 and (await r.json())["error"]["code"] == "unauthenticated"
    r = await client.post("/things", json={"name": "a", "count": 1}, headers={"Authorization": "Bearer bad"})
    assert r.status == 401
    r = await client.post("/things", json={"name": "a", "count": 1}, headers={"Authorization": "Bearer viewer"})
    assert r.status == 403 and "things.edit" in (await r.json())["error"]["message"]
    auth = {"Authorization": "Bearer editor"}
    r = await client.post("/things", json={"name": "a", "count": 1}, headers=auth)
    assert r.status == 201 and await r.json() == {"name": "a", "count": 1}
    r = await client.post("/things", json={"name": "a" * 11, "count": 1}, headers=auth)
    body = await r.json()
    assert r.status == 422 and body["error"]["field"] == "name" and "10文字以内" in body["error"]["message"]
    r = await client.post("/things", data=b"{not json", headers=auth)
    assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_json"
    r = await client.get("/nowhere", headers=auth)
    assert r.status == 404 and (await r.json())["error"]["code"] == "not_found"


async def test_openapi_lists_routes_and_is_public(aiohttp_client) -> None:
    client = await aiohttp_client(make_app())
    r = await client.get("/openapi.json")
    doc = await r.json()
    op = doc["paths"]["/admin/api/v1/things"]["post"]
    assert op["x-permission"] == "things.edit"
    assert "201" in op["responses"] and "403" in op["responses"]
    assert "Thing" in doc["components"]["schemas"]


async def test_the_openapi_document_lists_exactly_the_routes_served(sqlite_db) -> None:
    from admin_api.app import PREFIX
    from admin_api.keys import OPENAPI
    from admin_api.openapi import openapi_path
    from tests.admin_api.support import build_env

    env = await build_env(sqlite_db)
    try:
        document = env.app[OPENAPI]
        served = {(route.method.lower(), openapi_path(PREFIX, resource.canonical))
                  for resource in env.app.router.resources() for route in resource
                  if route.method not in ("HEAD", "OPTIONS") and resource.canonical != "/openapi.json"}
        documented = {(method, path) for path, ops in document["paths"].items() for method in ops}
        assert served == documented and len(served) >= 50
        ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
        assert len(ids) == len(set(ids))
    finally:
        await env.close()
