"""The counter role's guards, as the LINE service's (tests/admin_api): every change writes exactly one
operation-log entry in its transaction; every GET answering with a 届書 is a logged personal read; and
the role works with the network blocked (no route to the internet, no link to LINE)."""

from __future__ import annotations

import json
import socket
from typing import Any

import aiohttp
from sqlmodel import func, select

from admin_api import (
    counter_aid_views,
    counter_attachment_views,
    counter_layout_views,
    counter_related_views,
    counter_views,
)
from admin_api.routing import MUTATING
from civic.counter.ocr.layouts import load_dir
from civic.counter.ocr.samples import distort, render, sample_values
from civic.procedures.payload import QrKeyring, Ticket
from civic.staff.models import OperationLog
from tests.counter.conftest import QR_KEY, TOWN, Counter, rng, tennyu

#: GETs that answer with no personal data, and why.
NOT_PERSONAL = {"/counter/layouts": "layout definitions: regions of a sample, no personal data",
                "/counter/layouts/{key}": "one layout definition (exported to other towns)",
                "/counter/report": "counts and mean times by day, hour, document, kind and origin town: no person",
                "/counter/addresses": "Japan Post's prefectures, municipalities and 町域: no person",
                "/counter/kanji": "KANJIDIC2 characters by reading, 部首, strokes: no person",
                "/counter/layout-fields": "the fields a layout may name, per document kind: no person"}
#: Every router the counter role serves.
ROUTERS = (counter_views.router, counter_aid_views.router, counter_related_views.router, counter_layout_views.router,
           counter_attachment_views.router)
OPERATIONS = [op for r in ROUTERS for op in r.operations]


def test_every_get_of_a_form_is_a_logged_personal_read() -> None:
    for op in OPERATIONS:
        if op.method == "GET":
            assert (op.personal == "counter_forms" and op.personal_always) or op.path in NOT_PERSONAL, op.path


async def _count(counter: Counter) -> int:
    async with counter.db.read() as s:
        return int((await s.exec(select(func.count()).select_from(OperationLog))).one())


async def test_every_mutating_counter_route_writes_exactly_one_entry(counter: Counter) -> None:
    made = await counter.call("POST", "/counter/forms", json=tennyu(), expect=201)
    layout = load_dir(TOWN / "counter" / "layouts")["card-menkyo"]
    sealed = QrKeyring(QR_KEY).seal(Ticket("tennyu", (), {}, None, counter.clock.now()))

    def ocr_form(field: str = "image", **more: str) -> aiohttp.FormData:
        form = aiohttp.FormData()
        form.add_field(field, distort(render(layout, sample_values("menkyo", rng())[0]), rng()),
                       filename="x.jpg", content_type="image/jpeg")
        for name, value in (more or {"kind": "menkyo"}).items():
            form.add_field(name, value)
        return form

    attached, doomed = [await counter.call("POST", f"/counter/forms/{made['id']}/attachments", data=ocr_form("file"),
                                           expect=201) for _ in range(2)]
    exported = await counter.call("GET", "/counter/layouts/card-menkyo")
    await counter.call("PUT", "/counter/layouts/guard-menkyo", json={**exported, "key": "guard-menkyo"}, expect=200)
    drives: dict[tuple[str, str], Any] = {
        ("POST", "/counter/forms"): lambda: counter.call("POST", "/counter/forms", json=tennyu(), expect=201),
        ("PATCH", r"/counter/forms/{id:\d+}"): lambda: counter.call(
            "PATCH", f"/counter/forms/{made['id']}", json={"status": "review", "note": "確認お願いします"}, expect=200),
        ("POST", "/counter/ocr"): lambda: counter.call("POST", "/counter/ocr", data=ocr_form(), expect=200),
        ("POST", "/counter/qr"): lambda: counter.call("POST", "/counter/qr", json={"texts": [sealed]}, expect=201),
        ("POST", r"/counter/forms/{id:\d+}/related"): lambda: counter.call(
            "POST", f"/counter/forms/{made['id']}/related", json={"template": "juminhyo", "copies": 2}, expect=201),
        ("POST", r"/counter/forms/{id:\d+}/attachments"): lambda: counter.call(
            "POST", f"/counter/forms/{made['id']}/attachments", data=ocr_form("file"), expect=201),
        ("PATCH", r"/counter/forms/{id:\d+}/attachments/{att:\d+}"): lambda: counter.call(
            "PATCH", f"/counter/forms/{made['id']}/attachments/{attached['id']}",
            json={"kinds": [], "rects": [{"page": 0, "box": [0.1, 0.1, 0.2, 0.2]}]}, expect=200),
        ("DELETE", r"/counter/forms/{id:\d+}/attachments/{att:\d+}"): lambda: counter.call(
            "DELETE", f"/counter/forms/{made['id']}/attachments/{doomed['id']}", expect=200),
        ("PUT", "/counter/layouts/{key}"): lambda: counter.call("PUT", "/counter/layouts/card-menkyo",
                                                                json=exported, expect=200),
        ("DELETE", "/counter/layouts/{key}"): lambda: counter.call("DELETE", "/counter/layouts/guard-menkyo",
                                                                   expect=200),
        ("POST", "/counter/layout-sample"): lambda: counter.call("POST", "/counter/layout-sample", data=ocr_form(),
                                                                 expect=200),
        ("POST", "/counter/layout-trial"): lambda: counter.call(
            "POST", "/counter/layout-trial", data=ocr_form(definition=json.dumps(exported)), expect=200),
    }
    routes = {(op.method, op.path) for op in OPERATIONS if op.method in MUTATING}
    assert routes == set(drives), f"drive the new routes here: {routes ^ set(drives)}"
    for route, drive in drives.items():
        before = await _count(counter)
        await drive()
        assert await _count(counter) - before == 1, route
    before = await _count(counter)
    await counter.call("PATCH", f"/counter/forms/{made['id']}", json={"status": "drafting"}, expect=422)
    await counter.call("DELETE", "/counter/layouts/card-zairyu", expect=409)
    assert await _count(counter) == before  # a refused change writes nothing


async def test_the_counter_works_with_the_network_blocked(counter: Counter, monkeypatch: Any) -> None:
    """Any connection to anything but this machine fails: making, reading by OCR and printing still work."""
    tried: list[Any] = []
    original = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("::1", "localhost") or host.startswith("/")):
            tried.append(address)
            raise OSError("network is unreachable (blocked by the test)")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    made = await counter.call("POST", "/counter/forms", json=tennyu(), who="madoguchi", expect=201)
    layout = load_dir(TOWN / "counter" / "layouts")["midori-tenshutsu"]
    form = aiohttp.FormData()
    form.add_field("image", distort(render(layout, sample_values("tenshutsu", rng())[0]), rng()),
                   filename="x.jpg", content_type="image/jpeg")
    form.add_field("kind", "tenshutsu")
    read = await counter.call("POST", "/counter/ocr", data=form, who="madoguchi", expect=200)
    assert read["fields"]["resident_code"]["value"]
    assert (await counter.call("GET", f"/counter/forms/{made['id']}.pdf", who="madoguchi", expect=200)).startswith(b"%PDF")
    upload = aiohttp.FormData()
    upload.add_field("file", distort(render(layout, sample_values("tenshutsu", rng())[0]), rng()),
                     filename="x.jpg", content_type="image/jpeg")
    upload.add_field("kind", "tenshutsu")
    upload.add_field("layout", "midori-tenshutsu")
    att = await counter.call("POST", f"/counter/forms/{made['id']}/attachments", data=upload, who="madoguchi",
                             expect=201)
    await counter.call("GET", f"/counter/forms/{made['id']}/attachments/{att['id']}.pdf", who="madoguchi", expect=200)
    assert tried == []
