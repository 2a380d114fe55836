"""The LIFF form page: identity by verified ID token, prefilled answers, errors by field, segment-only
forms, the after-save hook; the real page in headless Chromium against linesim's token endpoint."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestServer

from civic.attributes import forms, services
from civic.citizens.models import Citizen
from civic.clock import FrozenClock
from civic.database import Database
from civic.segments import services as segments
from liff.forms.app import FormsDeps, create_forms_liff_app
from liff.identity import HttpIdTokenVerifier, StaticIdTokenVerifier
from linesim.testing import LineSim, line_sim, linesim_config, linesim_webhook_url  # noqa: F401
from tests.attributes.support import NOW, install_demo
from tests.browser import axe_violations, chromium_page

ALICE, BOB, STRANGER = "U" + "a" * 32, "U" + "b" * 32, "U" + "c" * 32


async def _people(db: Database) -> dict[str, int]:
    await install_demo(db)
    async with db.write() as s:
        rows = [Citizen(channel_user_id=u, created_at=NOW, followed_at=NOW) for u in (ALICE, BOB)]
        s.add_all(rows)
        await s.flush()
        return {ALICE: rows[0].id, BOB: rows[1].id}  # type: ignore[dict-item]


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_form_api_acts_for_the_verified_user_only(aiohttp_client: Any, db: Database) -> None:
    ids = await _people(db)
    saved: list[str] = []

    async def on_saved(user: str) -> None:
        saved.append(user)

    verifier = StaticIdTokenVerifier({"alice-token": ALICE, "stranger-token": STRANGER})
    app = web.Application()
    app.add_subapp("/liff/forms", create_forms_liff_app(FormsDeps(db, FrozenClock(NOW), on_saved=on_saved),
                                                       verifier))
    client = await aiohttp_client(app)
    r = await client.get("/liff/forms/api/forms/settings")
    assert r.status == 401
    r = await client.get("/liff/forms/api/forms/settings", headers=_headers("forged"))
    assert r.status == 401
    r = await client.get("/liff/forms/api/forms/settings", headers=_headers("stranger-token"))
    assert r.status == 403 and "友だち追加" in (await r.json())["error"]["message"]
    async with db.write() as s:
        await services.set_values(s, NOW, ids[ALICE], {"area": "honmachi"})
    r = await client.get("/liff/forms/api/forms/settings", headers=_headers("alice-token"))
    body = await r.json()
    assert r.status == 200 and body["answers"]["area"] == "honmachi" and body["form"]["questions"][0]["kind"] == "single"
    r = await client.post("/liff/forms/api/forms/kosodate", headers=_headers("alice-token"),
                          json={"answers": {"children_birth_dates": ["2025-02-30"]}})
    assert r.status == 422 and (await r.json())["error"]["field"] == "children_birth_dates"
    r = await client.post("/liff/forms/api/forms/kosodate", headers=_headers("alice-token"),
                          json={"answers": {"children_birth_dates": ["2025-02-28", "2023-06-01"], "expecting": "no"}})
    assert r.status == 200 and saved == [ALICE]
    async with db.read() as s:
        values = await services.citizen_values(s, ids[ALICE])
        bob = await services.citizen_values(s, ids[BOB])
    assert values["children_birth_dates"] == [date(2025, 2, 28), date(2023, 6, 1)] and bob == {}
    # A form for some citizens only (e.g. the town's own staff).
    async with db.write() as s:
        staff = await segments.create_segment(s, NOW, name="職員", filter_data={
            "type": "choice", "attribute": "area", "values": ["teramachi"]})
        await forms.update_form(s, NOW, "staff_registration", {"segment_id": staff.id})
    r = await client.get("/liff/forms/api/forms/staff_registration", headers=_headers("alice-token"))
    assert r.status == 403
    r = await client.get("/liff/forms/api/forms", headers=_headers("alice-token"))
    keys = [f["key"] for f in (await r.json())["forms"]]
    assert "settings" in keys and "staff_registration" not in keys
    r = await client.get("/liff/forms/", headers=_headers("alice-token"))
    assert r.status == 200 and "default-src 'self'" in r.headers["Content-Security-Policy"]


async def test_the_page_in_chromium_with_tokens_verified_by_linesim(sqlite_db: Database, line_sim: LineSim) -> None:  # noqa: F811
    db = sqlite_db
    await install_demo(db)
    user = line_sim.create_user("山田花子")
    async with db.write() as s:
        s.add(Citizen(channel_user_id=user, created_at=NOW, followed_at=NOW))
    verifier = HttpIdTokenVerifier(line_sim.url, line_sim.channel.config.login_channel_id)
    app = web.Application()
    app.add_subapp("/liff/forms", create_forms_liff_app(FormsDeps(db, FrozenClock(NOW)), verifier))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        token = line_sim.mint_id_token(user)
        async with chromium_page() as page:
            await page.goto(str(server.make_url(f"/liff/forms/?form=first_questionnaire&id_token={token}")))
            await page.wait_for_selector("#q-area")
            assert "id_token" not in page.url  # the token left the address bar
            await page.click("#save")  # required answers missing
            await page.wait_for_selector("#q-age_group.has-error")
            assert not await axe_violations(page)  # the form with its errors: contrast, names, landmarks
            await page.check("#q-age_group input[value='40s']")
            await page.select_option("#q-area select", "sakuradai")
            await page.check("#q-interests input[value='int01']")
            await page.check("#q-interests input[value='int07']")
            await page.fill("#q-children_birth_dates input[type=date]", "2026-05-10")
            await page.click("#q-children_birth_dates button")
            await page.fill("#q-children_birth_dates input[type=date] >> nth=1", "2023-01-20")
            await page.click("#save")
            await page.wait_for_selector("#thanks")
            assert not await axe_violations(page)
        async with db.read() as s:
            (cid,) = (await s.exec(sa.text("SELECT id FROM citizen"))).one()
            values = await services.citizen_values(s, cid)
        assert values["age_group"] == ["40s"] and values["area"] == ["sakuradai"]
        assert values["interests"] == ["int01", "int07"]
        assert values["children_birth_dates"] == [date(2026, 5, 10), date(2023, 1, 20)]
        assert (await verifier.verify(token)).user_id == user  # type: ignore[union-attr]
        assert await verifier.verify(token[:-4] + "AAAA") is None  # a forged signature: LINE refuses it
    finally:
        await verifier.close()
        await server.close()
