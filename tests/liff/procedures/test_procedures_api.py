"""The page's API: walk a tree, enter a household, issue the QR, open it at the counter (and log it)."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from admin_api import log_views
from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext
from civic.procedures.payload import QrKeyring, reference
from civic.procedures.qr import png_bytes
from civic.staff.models import OperationLog
from liff.procedures.themes import THEMES, contrast, pairs
from tests.liff.procedures.conftest import QR_KEY

TENNYU = [("from", "domestic"), ("online", "paper"), ("certificate", "yes"), ("moved_on", "令和8年11月28日"),
          ("card", "yes"), ("kokuho", "yes"), ("elderly", "none"), ("children", "yes"), ("school", "yes"),
          ("public_servant", "no"), ("seal", ""), ("dog", "no")]
FAMILY = {
    "people": [
        {"name": "長谷川 龍之介", "kana": "ハセガワ リュウノスケ", "birth_date": "昭和54年4月12日", "sex": "男", "relationship": "世帯主"},
        {"name": "長谷川 美智恵", "kana": "ハセガワ ミチエ", "birth_date": "1981-11-30", "sex": "女", "relationship": "妻"},
        {"name": "長谷川 陽菜乃", "kana": "ハセガワ ヒナノ", "birth_date": "H22.7.5", "sex": "女", "relationship": "子"},
        {"name": "長谷川 虎太郎", "kana": "ハセガワ コタロウ", "birth_date": "2015/2/22", "sex": "男", "relationship": "子"},
    ],
    "addresses": {"new": {"postal_code": "839-0902", "detail": "二丁目1234番地5 グリーンハイツ305号室"},
                  "old": {"postal_code": "150-0001", "detail": "六丁目23番地4"}},
}


async def walk(client, event: str, answers: list[tuple[str, str]], **start) -> tuple[str, dict]:
    r = await client.post("/api/sessions", json={"event": event, **start})
    assert r.status == 201
    body = await r.json()
    token, step = body["token"], body["step"]
    for qid, value in answers:
        assert step["question"]["id"] == qid
        r = await client.post(f"/api/sessions/{token}/answer", json={"question_id": qid, "value": value})
        assert r.status == 200, await r.text()
        step = (await r.json())["step"]
    return token, step


async def test_the_page_is_served_with_theme_emblem_and_security_headers(aiohttp_client, procedures_app) -> None:
    client = await aiohttp_client(procedures_app)
    r = await client.get("/")
    page = await r.text()
    assert r.status == 200 and "手続きナビ" in page and "みどり町" in page and 'lang="ja"' in page
    assert "/theme/green.css" in page and "転入（町外から）" in page
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"
    r = await client.get("/?theme=purple")
    assert "/theme/purple.css" in await r.text()
    r = await client.get("/theme/yellow.css")
    assert "--brand:#FFD23F" in await r.text()
    r = await client.get("/town/emblem.svg")
    assert r.status == 200 and r.headers["Content-Type"] == "image/svg+xml" and b"<svg" in await r.read()
    assert (await client.get("/town/../town.yaml")).status == 404
    assert (await client.get("/static/app.js")).status == 200


def test_every_theme_meets_aaa_contrast() -> None:
    for theme in THEMES.values():
        for name, fg, bg in pairs(theme):
            assert contrast(fg, bg) >= 7.0, (theme.name, name, round(contrast(fg, bg), 2))


async def test_walking_a_tree_shows_progress_and_the_result(aiohttp_client, procedures_app) -> None:
    client = await aiohttp_client(procedures_app)
    token, step = await walk(client, "tennyu", TENNYU[:3])
    assert 0 < step["progress"] < 100 and step["question"]["id"] == "moved_on"
    assert step["question"]["kind"] == "date" and step["question"]["max"] == "2027-01-30"
    r = await client.post(f"/api/sessions/{token}/answer", json={"question_id": "moved_on", "value": "2026-02-30"})
    assert r.status == 422 and "28日まで" in (await r.json())["error"]["message"]
    r = await client.post(f"/api/sessions/{token}/answer", json={"question_id": "moved_on", "value": ""})
    assert r.status == 422 and (await r.json())["error"]["code"] == "required"
    r = await client.get(f"/api/sessions/{token}/result")
    assert r.status == 409
    r = await client.post(f"/api/sessions/{token}/back")
    assert (await r.json())["step"]["question"]["id"] == "certificate"
    token, step = await walk(client, "tennyu", TENNYU)
    assert step["done"] and step["progress"] == 100
    body = await (await client.get(f"/api/sessions/{token}/result")).json()
    names = [r["name"] for r in body["results"]]
    assert names[0] == "転入届" and "小学校・中学校の転入学の手続き" in names
    first = body["results"][0]
    assert first["place"].startswith("1階 住民課") and first["deadline_date"] == "2026-12-14"
    assert "転出証明書" in first["bring"] and body["household"]["addresses"][0]["role"] == "new"
    assert body["text"].startswith("【転入")


async def test_household_entry_is_checked_and_the_qr_wipes_it(aiohttp_client, procedures_app, sqlite_db) -> None:
    client = await aiohttp_client(procedures_app)
    token, _ = await walk(client, "tennyu", TENNYU)
    r = await client.post(f"/api/sessions/{token}/qr", json={})
    assert r.status == 409 and (await r.json())["error"]["code"] == "no_household"
    outside = {**FAMILY, "addresses": {**FAMILY["addresses"], "new": {"postal_code": "8380141", "detail": "1"}}}
    r = await client.put(f"/api/sessions/{token}/household", json={"household": outside})
    problems = (await r.json())["error"]["problems"]
    assert r.status == 422 and problems[0]["field"] == "addresses.new.postal_code"
    assert "みどり町の住所ではありません" in problems[0]["message"]
    r = await client.put(f"/api/sessions/{token}/household", json={"household": FAMILY})
    assert r.status == 200
    saved = (await r.json())["household"]
    assert saved["people"][0]["birth_date"] == "1979-04-12" and saved["addresses"]["new"]["region"].endswith("緑ヶ丘")
    r = await client.post(f"/api/sessions/{token}/qr", json={})
    body = await r.json()
    assert r.status == 200 and body["wiped"] and not body["notified_line"]
    [code] = body["codes"]
    assert code["version"] <= 25 and code["svg"].lstrip().startswith("<")
    async with sqlite_db.engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT count(*) FROM procedure_draft"))).scalar_one() == 0
    assert (await client.get(f"/api/sessions/{token}/result")).status == 410
    ticket = QrKeyring(QR_KEY).open(code["text"])
    assert ticket.household.people[0].name == "長谷川\u3000龍之介" and 101 in ticket.procedures


async def test_idle_entries_are_wiped(aiohttp_client, procedures_app, clock) -> None:
    client = await aiohttp_client(procedures_app)
    token, _ = await walk(client, "tennyu", TENNYU[:2])
    clock.advance(timedelta(minutes=14))
    assert (await client.post(f"/api/sessions/{token}/touch")).status == 204
    clock.advance(timedelta(minutes=15))
    r = await client.post(f"/api/sessions/{token}/answer", json={"question_id": "certificate", "value": "yes"})
    assert r.status == 410 and "消去しました" in (await r.json())["error"]["message"]


async def test_line_users_are_counted_and_get_the_result_in_their_talk(aiohttp_client, procedures_app, talk,
                                                                       sqlite_db) -> None:
    client = await aiohttp_client(procedures_app)
    await walk(client, "shomei", [], id_token="forged")
    token, _ = await walk(client, "shomei", [("kind", "jumin"), ("requester", "self"), ("card", "yes")],
                          id_token="good-id-token")
    household = {"people": [FAMILY["people"][0]], "addresses": {"current": FAMILY["addresses"]["new"]}}
    assert (await client.put(f"/api/sessions/{token}/household", json={"household": household})).status == 200
    r = await client.post(f"/api/sessions/{token}/qr", json={"id_token": "good-id-token"})
    assert (await r.json())["notified_line"]
    [(user, text)] = talk.sent
    assert user.startswith("U") and "住民票の写しの請求" in text and "世帯1人分" in text and "長谷川" not in text
    async with sqlite_db.engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT event_code, channel, count FROM procedure_access ORDER BY channel"))).all()
    assert [tuple(r) for r in rows] == [("shomei", "line", 1), ("shomei", "web", 1)]


async def test_kana_and_postal_helpers(aiohttp_client, procedures_app) -> None:
    client = await aiohttp_client(procedures_app)
    assert (await (await client.get("/api/kana", params={"name": "山田 花子"})).json())["kana"] == "ヤマダ\u3000ハナコ"
    body = await (await client.get("/api/postal", params={"code": "839-0903"})).json()
    assert body == {"postal_code": "8390903", "region": "福岡県みどり郡みどり町本町", "in_town": True}
    r = await client.get("/api/postal", params={"code": "0000000"})
    assert r.status == 404 and "見つかりません" in (await r.json())["error"]["message"]
    assert (await client.post("/api/sessions", json={"event": "nope"})).status == 404


async def _issued(client) -> str:
    token, _ = await walk(client, "tennyu", TENNYU)
    await client.put(f"/api/sessions/{token}/household", json={"household": FAMILY})
    return (await (await client.post(f"/api/sessions/{token}/qr", json={})).json())["codes"][0]["text"]


async def test_the_counter_needs_a_staff_login_with_permission(aiohttp_client, procedures_app) -> None:
    client = await aiohttp_client(procedures_app)
    text = await _issued(client)
    assert (await client.get("/counter")).status == 200
    r = await client.post("/counter/api/open", json={"texts": [text]})
    assert r.status == 401
    r = await client.post("/counter/api/open", json={"texts": [text]}, headers={"Authorization": "Bearer other"})
    assert r.status == 403 and "procedures.counter" in (await r.json())["error"]["message"]
    r = await client.post("/counter/api/open", json={"texts": [text]}, headers={"Authorization": "Bearer counter"})
    body = await r.json()
    assert r.status == 200 and body["event"]["code"] == "tennyu"
    assert [p["name"] for p in body["household"]["people"]][0] == "長谷川\u3000龍之介"
    assert body["household"]["people"][0]["age"] == 47 and "昭和54年" in body["household"]["people"][0]["birth_date"]
    assert body["household"]["addresses"][0]["postal_code"] == "839-0902"
    assert body["procedures"][0]["name"] == "転入届" and body["procedures"][0]["bring"]


async def test_the_counter_refuses_tampered_and_foreign_codes(aiohttp_client, procedures_app) -> None:
    client = await aiohttp_client(procedures_app)
    text = await _issued(client)
    auth = {"Authorization": "Bearer counter"}
    tampered = text[:40] + ("A" if text[40] != "A" else "B") + text[41:]
    r = await client.post("/counter/api/open", json={"texts": [tampered]}, headers=auth)
    assert r.status == 422 and (await r.json())["error"]["code"] in {"tampered", "corrupt"}
    foreign = QrKeyring(bytes(32)).seal(QrKeyring(QR_KEY).open(text))
    r = await client.post("/counter/api/open", json={"texts": [foreign]}, headers=auth)
    assert r.status == 422 and "他の自治体" in (await r.json())["error"]["message"]
    r = await client.post("/counter/api/open", json={"texts": ["hello"]}, headers=auth)
    assert r.status == 422 and (await r.json())["error"]["code"] == "foreign"


async def test_the_counter_reads_an_uploaded_image(aiohttp_client, procedures_app) -> None:
    import aiohttp

    client = await aiohttp_client(procedures_app)
    text = await _issued(client)
    form = aiohttp.FormData()
    form.add_field("image", png_bytes(text), filename="qr.png", content_type="image/png")
    r = await client.post("/counter/api/open", data=form, headers={"Authorization": "Bearer counter"})
    assert r.status == 200 and (await r.json())["household"]["people"][3]["kana"] == "ハセガワ\u3000コタロウ"
    form = aiohttp.FormData()
    form.add_field("image", b"not an image", filename="x.png", content_type="image/png")
    r = await client.post("/counter/api/open", data=form, headers={"Authorization": "Bearer counter"})
    assert r.status == 422 and (await r.json())["error"]["code"] == "no_code"


# ---- the operation log of the counter (小郡市 spec §12(4) ログ) ----------------------------------

#: Everything of FAMILY that must never reach the log, in the forms it takes on the way.
PERSONAL = [p[k] for p in FAMILY["people"] for k in ("name", "kana")] + [
    "長谷川", "ハセガワ", "1979-04-12", "19790412", "昭和54", "1981-11-30", "19811130", "2010-07-05", "2015-02-22",
    "グリーンハイツ", "二丁目1234番地5", "六丁目23番地4", "839-0902", "8390902", "150-0001", "1500001", "緑ヶ丘"]


class LogReaders:
    """A staff member who reads the operation log (no personal.view: what an auditor usually has)."""

    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return Principal(9, "kansa", "監査 担当", frozenset({"audit.view"})) if token == "kansa" else None


async def _log(db) -> list[OperationLog]:
    async with db.read() as s:
        return list((await s.exec(select(OperationLog).order_by(OperationLog.id))).all())


def _leaks(entries, *secrets: str) -> list[str]:
    text = " ".join(str(e.model_dump()) for e in entries)
    return [word for word in (*PERSONAL, *secrets) if word in text]


async def test_opening_a_code_at_the_counter_is_logged_once_without_personal_data(
        aiohttp_client, audited_procedures_app, db, clock) -> None:
    client = await aiohttp_client(audited_procedures_app)
    text = await _issued(client)
    assert await _log(db) == []  # issuing is the citizen's doing, not an opening
    assert (await client.post("/counter/api/open", json={"texts": [text]})).status == 401
    r = await client.post("/counter/api/open", json={"texts": [text]}, headers={"Authorization": "Bearer other"})
    assert r.status == 403 and await _log(db) == []
    r = await client.post("/counter/api/open", json={"texts": [text]}, headers={"Authorization": "Bearer counter"})
    body = await r.json()
    assert r.status == 200 and body["household"]["people"][0]["name"] == "長谷川\u3000龍之介"
    assert body["reference"] == reference(text)
    [entry] = await _log(db)
    assert (entry.staff_id, entry.staff_login, entry.action) == (1, "madoguchi", "procedures.counter_open")
    assert (entry.target_type, entry.target_id) == ("procedure_qr", reference(text))
    assert entry.remote == "127.0.0.1" and entry.before is None and entry.at == clock.now()
    after = json.loads(entry.after)
    assert 101 in after["procedures"]
    assert after == {"event": "tennyu", "procedures": after["procedures"], "issued_at": "2026-12-01T10:00+09:00",
                     "stale": False, "people": 4, "via": "text"}
    assert _leaks([entry], text) == []

    log = await aiohttp_client(create_admin_app(LogReaders(), [log_views.router], context=AdminContext(db, clock)))
    r = await log.get("/operation-logs", params={"action": "procedures.counter_open"},
                      headers={"Authorization": "Bearer kansa"})
    page = await r.json()
    assert r.status == 200 and page["total"] == 1
    [item] = page["items"]
    assert (item["staff_login"], item["staff_id"], item["target_id"]) == ("madoguchi", 1, reference(text))
    assert item["after"]["event"] == "tennyu" and item["remote"] == "127.0.0.1"


async def test_a_stale_code_is_opened_and_logged_as_stale(aiohttp_client, audited_procedures_app, db, clock) -> None:
    client = await aiohttp_client(audited_procedures_app)
    text = await _issued(client)
    clock.advance(timedelta(days=40))
    r = await client.post("/counter/api/open", json={"texts": [text]}, headers={"Authorization": "Bearer counter"})
    assert r.status == 200 and (await r.json())["stale"]
    [entry] = await _log(db)
    assert entry.action == "procedures.counter_open" and json.loads(entry.after)["stale"] is True


async def test_refused_codes_are_logged_as_failures_with_the_reason(aiohttp_client, audited_procedures_app,
                                                                    db, clock) -> None:
    import aiohttp

    client = await aiohttp_client(audited_procedures_app)
    text = await _issued(client)
    auth = {"Authorization": "Bearer counter"}
    tampered = text[:40] + ("A" if text[40] != "A" else "B") + text[41:]
    for _ in range(2):  # the same bad code twice: one target, so an auditor can count the tries
        assert (await client.post("/counter/api/open", json={"texts": [tampered]}, headers=auth)).status == 422
    foreign = QrKeyring(bytes(32)).seal(QrKeyring(QR_KEY).open(text))
    assert (await client.post("/counter/api/open", json={"texts": [foreign]}, headers=auth)).status == 422
    assert (await client.post("/counter/api/open", json={"texts": ["hello"]}, headers=auth)).status == 422
    form = aiohttp.FormData()
    form.add_field("image", b"not an image", filename="x.png", content_type="image/png")
    assert (await client.post("/counter/api/open", data=form, headers=auth)).status == 422
    entries = await _log(db)
    assert [e.action for e in entries] == ["procedures.counter_open_failed"] * 5
    assert {(e.staff_id, e.staff_login, e.remote) for e in entries} == {(1, "madoguchi", "127.0.0.1")}
    after = [json.loads(e.after) for e in entries]
    assert after[0]["reason"] in {"tampered", "corrupt"} and after[0]["message"] and after[0]["via"] == "text"
    assert [a["reason"] for a in after[2:]] == ["unknown_key", "foreign", "no_code"]
    assert after[4]["via"] == "image"
    assert [e.target_id for e in entries] == [reference(tampered)] * 2 + [reference(foreign), None, None]
    assert _leaks(entries, text, tampered, foreign) == []

    log = await aiohttp_client(create_admin_app(LogReaders(), [log_views.router], context=AdminContext(db, clock)))
    kansa = {"Authorization": "Bearer kansa"}
    r = await log.get("/operation-logs", params={"action": "procedures.counter_open_failed"}, headers=kansa)
    page = await r.json()
    assert page["total"] == 5 and {i["staff_login"] for i in page["items"]} == {"madoguchi"}
    assert page["items"][0]["after"]["reason"] == "no_code"  # newest first
    r = await log.get("/operation-logs", params={"target_type": "procedure_qr", "target_id": reference(tampered)},
                      headers=kansa)
    assert (await r.json())["total"] == 2
