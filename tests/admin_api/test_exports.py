"""CSV exports open in Excel (BOM, Japanese headers, CRLF) and show only what the role may see."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from PIL import Image

from civic.talklog.models import TalkEntry
from tests.admin_api.support import NOW, PASSWORD, AdminEnv

USER = "U" + "1" * 32


def _rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8")[1:]
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text)))


async def _seed_talk(env: AdminEnv) -> None:
    async with env.db.write() as s:
        s.add_all([
            TalkEntry(channel_user_id=USER, direction="in", kind="text", text="電話は090-1234-5678です",
                      intent="nlu_fallback", at=NOW - timedelta(hours=2)),
            TalkEntry(channel_user_id=USER, direction="out", kind="text", text="=HYPERLINK(\"x\")", flow="faq",
                      at=NOW - timedelta(hours=1)),
        ])


async def _auditor_token(env: AdminEnv, client) -> dict[str, str]:
    """A role that may read logs but not personal data."""
    r = await client.post("/roles", headers=env.auth(), json={
        "key": "kansa", "name": "監査担当", "permissions": ["audit.view", "talklog.view", "stats.read"]})
    role = await r.json()
    await client.post("/staff", headers=env.auth(), json={
        "login": "kansa", "display_name": "監査", "password": PASSWORD, "role_id": role["id"]})
    r = await client.post("/auth/login", json={"login": "kansa", "password": PASSWORD})
    return {"Authorization": f"Bearer {(await r.json())['token']}"}


async def test_talk_log_csv_for_an_administrator_and_for_an_auditor(env: AdminEnv, client) -> None:
    await _seed_talk(env)
    r = await client.get("/talk-logs.csv", headers=env.auth())
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert 'filename="talk-log-' in r.headers["Content-Disposition"]
    rows = _rows(await r.read())
    assert rows[0] == ["日時", "利用者", "方向", "種類", "内容", "意図", "フロー"]
    assert rows[1] == ["2026-11-21 08:00:00", USER, "利用者→ボット", "text", "電話は090-1234-5678です", "nlu_fallback", ""]
    assert rows[2][2] == "ボット→利用者" and rows[2][4] == "'=HYPERLINK(\"x\")"  # no formula runs in Excel
    auditor = await _auditor_token(env, client)
    rows = _rows(await (await client.get("/talk-logs.csv", headers=auditor)).read())
    assert rows[1][1].startswith("利用者-") and USER not in rows[1][1]
    assert "090" not in rows[1][4] and rows[1][4].startswith("電話は＊")
    pseudonym = rows[1][1]
    r = await client.get("/talk-logs", headers=auditor, params={"user": pseudonym})
    assert [e["direction"] for e in (await r.json())["items"]] == ["in", "out"]
    r = await client.get("/talk-logs", headers=auditor, params={"user": USER})
    assert r.status == 403 and "personal.view" in (await r.json())["error"]["message"]
    r = await client.get("/talk-logs", headers=env.auth(), params={"user": USER, "direction": "out"})
    assert [e["flow"] for e in (await r.json())["items"]] == ["faq"]


async def test_operation_log_search_and_csv(env: AdminEnv, client) -> None:
    await client.post("/roles", headers=env.auth(), json={"key": "kouhou", "name": "広報", "permissions": ["stats.read"]})
    r = await client.get("/operation-logs", headers=env.auth(), params={"action": "roles."})
    page = await r.json()
    assert page["total"] == 1 and page["items"][0]["after"]["name"] == "広報"
    assert page["items"][0]["staff_login"] == "admin-user"
    r = await client.get("/operation-logs.csv", headers=env.auth(), params={"since": "2026-11-21", "until": "2026-11-21"})
    rows = _rows(await r.read())
    assert rows[0] == ["日時", "職員ログインID", "職員番号", "操作", "対象の種類", "対象ID", "変更前", "変更後", "接続元"]
    created = next(row for row in rows if row[3] == "roles.create")
    assert created[4] == "role" and created[0] == "2026-11-21 10:00:00" and created[1] == "admin-user"
    assert rows[-1][3] == "audit.export"  # exporting the log is itself logged
    r = await client.get("/operation-logs", headers=env.auth(), params={"since": "2026-11-22", "until": "2026-11-21"})
    body = await r.json()
    assert r.status == 422 and "開始日" in body["error"]["message"]
    r = await client.get("/operation-logs", headers=env.auth("editor"))
    assert r.status == 403


async def test_stats_csv_and_chart(env: AdminEnv, client) -> None:
    await _seed_talk(env)
    r = await client.get("/stats/daily.csv", headers=env.auth("viewer"), params={"since": "2026-11-20", "until": "2026-11-21"})
    rows = _rows(await r.read())
    assert rows[0][:3] == ["日付", "友だち数", "新規友だち"] and rows[0][-2:] == ["わからなかった割合(%)", "リッチメニュータップ"]
    assert [r[0] for r in rows[1:]] == ["2026-11-20", "2026-11-21"]
    assert rows[2][6:8] == ["1", "1"] and rows[2][10] == "100.0"
    r = await client.get("/stats/charts/messages.png", headers=env.auth("viewer"))
    assert r.status == 200 and r.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(await r.read()))
    assert image.size == (1600, 900)
    r = await client.get("/stats/unanswered", headers=env.auth("viewer"))
    assert [(u["text"], u["count"]) for u in await r.json()] == [("電話は＊＊＊＊＊＊＊＊です", 1)]
    r = await client.get("/stats/usage.csv", headers=env.auth("viewer"), params={"by": "flow"})
    assert _rows(await r.read()) == [["日付", "フロー", "内容", "件数"]]  # outgoing messages are not chatbot use
    r = await client.get("/stats/usage", headers=env.auth("viewer"), params={"by": "intent"})
    assert [(u["name"], u["label"], u["count"]) for u in await r.json()] == [("nlu_fallback", "理解できなかった", 1)]
    r = await client.get("/stats/usage.csv", headers=env.auth("viewer"), params={"by": "intent"})
    assert _rows(await r.read())[1][1:] == ["nlu_fallback", "理解できなかった", "1"]  # staff read Japanese
    r = await client.get("/stats/daily", headers=env.auth("viewer"), params={"since": "2025-01-01", "until": "2026-11-21"})
    assert r.status == 422 and "366日" in (await r.json())["error"]["message"]


async def test_line_figures_say_when_they_are_not_available(env: AdminEnv, client) -> None:
    r = await client.get("/stats/line/followers", headers=env.auth("viewer"))
    body = await r.json()
    assert r.status == 200 and body["available"] is False and body["day"] == "2026-11-20"
    assert "前日分まで" in body["message"]
    r = await client.get("/stats/line/richmenu-clicks", headers=env.auth("viewer"))
    assert (await r.json()) == {"available": True, "message": None, "items": []}  # nothing published yet
