"""Uploading images for deliveries (``POST /images``) and serving them publicly with LINE's imagemap
widths (``/media/{token}/…``), on SQLite and PostgreSQL: type, size, permission, audit, variants."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from PIL import Image
from sqlmodel import select

from admin_api import image_views
from admin_api.app import PREFIX, create_admin_app
from admin_api.context import AdminContext
from admin_api.image_views import MEDIA, create_media_app
from admin_api.staff_auth import StaffAuthenticator
from civic.clock import FrozenClock
from civic.database import Database
from civic.deliveries import images
from civic.deliveries.models import DeliveryImage
from civic.staff import services as accounts
from civic.staff.audit import Auditor
from civic.staff.models import OperationLog
from civic.staff.passwords import Passwords
from civic.staff.sessions import StaffSessions
from tests.admin_api.support import NOW, PASSWORD

BASE = "https://town.example.jp"


@dataclass
class Env:
    client: Any
    db: Database
    tokens: dict[str, str]

    def auth(self, role: str, content_type: str = "image/png") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", "Content-Type": content_type}


@pytest.fixture
async def env(db: Database, aiohttp_client: Any) -> Env:
    clock = FrozenClock(NOW)
    sessions = StaffSessions(db, clock, Passwords.for_tests())
    admin = create_admin_app(StaffAuthenticator(sessions), [image_views.router],
                             context=AdminContext(db, clock, auditor=Auditor(db, clock), public_base_url=BASE))
    app = web.Application(client_max_size=16 * 1024 * 1024)  # as bot.app's
    app.add_subapp(PREFIX, admin)
    app.add_subapp(MEDIA, create_media_app(db))
    tokens = {}
    for role in ("delivery", "viewer"):
        await accounts.create_staff(db, clock, f"{role}-user", PASSWORD, f"{role} さん", role,
                                    passwords=sessions.passwords)
        tokens[role] = (await sessions.login(f"{role}-user", PASSWORD)).token
    return Env(await aiohttp_client(app), db, tokens)


def picture(fmt: str = "PNG", size: tuple[int, int] = (1300, 650), *, exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (30, 120, 200))
    for x in range(size[0] // 2):  # a left half that differs, so a resize that distorts would show
        image.putpixel((x, 0), (250, 250, 0))
    out = io.BytesIO()
    if exif:
        info = Image.Exif()
        info[0x010F] = "町役場のカメラ"  # Make
        image.save(out, fmt, exif=info)
    else:
        image.save(out, fmt)
    return out.getvalue()


async def upload(env: Env, data: bytes, *, role: str = "delivery", content_type: str = "image/png",
                 name: str = "お知らせ.png") -> tuple[int, dict[str, Any]]:
    r = await env.client.post(f"{PREFIX}/images", params={"name": name}, data=data,
                              headers=env.auth(role, content_type))
    return r.status, await r.json()


async def test_upload_serves_the_image_its_preview_and_every_imagemap_width(env: Env) -> None:
    status, body = await upload(env, picture("PNG", (1300, 650)))
    assert status == 201, body
    assert (body["name"], body["content_type"], body["width"], body["height"]) == ("お知らせ.png", "image/png", 1300, 650)
    assert body["url"].startswith(f"{BASE}{MEDIA}/") and body["preview_url"] == body["url"] + "/preview"
    assert body["imagemap_widths"] == [1040, 700, 460, 300, 240]
    token = body["url"].rsplit("/", 1)[1]
    assert len(token) >= 32  # unguessable

    r = await env.client.get(f"{MEDIA}/{token}")  # public: no token needed
    assert r.status == 200 and r.content_type == "image/png"
    assert "immutable" in r.headers["Cache-Control"]
    assert Image.open(io.BytesIO(await r.read())).size == (1300, 650)
    for width in (1040, 700, 460, 300, 240):
        r = await env.client.get(f"{MEDIA}/{token}/{width}")
        assert r.status == 200 and r.content_type == "image/png"
        assert Image.open(io.BytesIO(await r.read())).size == (width, width // 2)
    r = await env.client.get(f"{MEDIA}/{token}/preview")
    assert r.status == 200
    data = await r.read()
    assert Image.open(io.BytesIO(data)).size == (480, 240) and len(data) < 1024 * 1024

    for bad in (f"{MEDIA}/{token}/1000", f"{MEDIA}/{'x' * 32}", f"{MEDIA}/{token}/../x"):
        assert (await env.client.get(bad)).status == 404, bad

    listed = await env.client.get(f"{PREFIX}/images", headers=env.auth("viewer"))
    assert listed.status == 200
    assert [i["url"] for i in await listed.json()] == [body["url"]]


async def test_jpeg_is_stored_upright_without_its_metadata(env: Env) -> None:
    original = picture("JPEG", (800, 600), exif=True)
    assert Image.open(io.BytesIO(original)).getexif()
    status, body = await upload(env, original, content_type="image/jpeg", name="写真.jpg")
    assert status == 201, body
    r = await env.client.get(f"{MEDIA}/{body['url'].rsplit('/', 1)[1]}")
    stored = Image.open(io.BytesIO(await r.read()))
    assert r.content_type == "image/jpeg" and stored.format == "JPEG" and not stored.getexif()


@pytest.mark.parametrize("data, content_type, status, code, words", [
    (b"GIF89a" + b"\0" * 20, "image/gif", 415, "unsupported_media_type", "ファイルの種類が対応していません"),
    (b"not an image at all", "image/png", 422, "image_unreadable", "JPEG または PNG"),
    (None, "image/png", 422, "image_format", "形式（GIF）"),
    (b"\0" * (images.MAX_BYTES + 1), "image/png", 422, "image_too_large", "5MB以下"),
    ("huge", "image/png", 422, "image_dimensions", "4096ピクセル以下"),
])
async def test_refusals_say_what_is_wrong(env: Env, data: Any, content_type: str, status: int, code: str,
                                          words: str) -> None:
    if data is None:
        out = io.BytesIO()
        Image.new("RGB", (10, 10)).save(out, "GIF")
        data = out.getvalue()
    elif data == "huge":
        data = picture("PNG", (4097, 10))
    got, body = await upload(env, data, content_type=content_type)
    assert got == status, body
    assert body["error"]["code"] == code and words in body["error"]["message"]
    if status == 422:
        assert body["error"]["field"] == "image"
    async with env.db.read() as s:
        assert (await s.exec(select(DeliveryImage))).all() == []


async def test_only_staff_who_may_send_can_upload_and_each_upload_is_audited(env: Env) -> None:
    assert (await env.client.post(f"{PREFIX}/images", data=picture(), headers={"Content-Type": "image/png"})).status == 401
    status, body = await upload(env, picture(), role="viewer")
    assert status == 403, body
    status, body = await upload(env, picture(), name="チラシ")
    assert status == 201
    async with env.db.read() as s:
        logs = (await s.exec(select(OperationLog).where(OperationLog.action == "images.upload"))).all()
        assert len((await s.exec(select(DeliveryImage))).all()) == 1
    assert [(log.staff_login, log.target_type, log.target_id) for log in logs] == [
        ("delivery-user", "delivery_image", str(body["id"]))]
    after = json.loads(logs[0].after or "{}")
    assert after["name"] == "チラシ" and after["width"] == 1300
