"""Content staff edit live through the staff API (issue #16, "Staff console II"), on SQLite and PostgreSQL:
the monthly report labels FAQ figures with the FAQ in use, garbage categories and collection areas edited as
forms (and answered by the bot), life events of 手続きナビ deleted, report response templates."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from admin_api.app import PREFIX
from bot.appkeys import DATABASE
from civic.faq.models import FaqAnswer
from tests.admin_api.test_content_api import Console, console, eventually
from tests.bot.helpers import REPO

__all__ = ["console"]  # the fixture, shared with test_content_api


def tokyo_month() -> str:
    from civic.clock import tokyo

    return tokyo(datetime.now(UTC)).strftime("%Y-%m")


async def test_the_monthly_report_names_faq_entries_as_they_are_now(console: Console) -> None:
    """``AdminContext.faq_questions`` is the FAQ in use, not the one loaded at start-up: an edited question is
    what the monthly report's top questions show once the bot answers from it."""
    c, auth = console.client, console.auth
    r = await c.post(f"{PREFIX}/faq/entries", headers=auth, json={
        "question": "粗大ごみの出し方を教えてください", "answer": "粗大ごみは予約制です。環境課にお電話ください。",
        "category": "ごみ", "status": "published"})
    assert r.status == 201, await r.text()
    entry = (await r.json())["id"]
    await eventually(lambda: entry in console.knowledge.faq_entries)
    async with console.app[DATABASE].write() as s:
        s.add(FaqAnswer(entry_id=entry, question="粗大ごみ", channel="production", at=datetime.now(UTC)))
        s.add(FaqAnswer(entry_id=entry, question="粗大ごみの出し方", channel="production", at=datetime.now(UTC)))
    report = await console.get("/stats/monthly", month=tokyo_month())
    assert report["faq_top"][0] == {"entry_id": entry, "question": "粗大ごみの出し方を教えてください", "count": 2,
                                    "helpful": 0, "not_helpful": 0}

    r = await c.patch(f"{PREFIX}/faq/entries/{entry}", headers=auth, json={"question": "粗大ごみはどう出せばいいですか"})
    assert r.status == 200, await r.text()
    await eventually(lambda: console.knowledge.faq_entries[entry].question == "粗大ごみはどう出せばいいですか")
    report = await console.get("/stats/monthly", month=tokyo_month())
    assert report["faq_top"][0]["question"] == "粗大ごみはどう出せばいいですか"
    csv_text = (await console.get("/stats/monthly.csv", month=tokyo_month())).decode("utf-8-sig")
    assert "粗大ごみはどう出せばいいですか" in csv_text and "粗大ごみの出し方を教えてください" not in csv_text


async def test_collection_areas_and_days_edited_as_forms_with_precise_errors(console: Console) -> None:
    """Areas and days as forms (5374 area_days.csv kept as the file): each wrong rule is a 422 naming the
    category (``days.<分別>``) and the reason; a good change is what the bot's calendar answers; export gives the
    file back in the 5374 shape; one audit entry per change."""
    c, auth = console.client, console.auth
    areas = await console.get("/garbage/areas")
    honcho = next(a for a in areas["areas"] if a["name"] == "本町")
    assert {"category": "燃やすごみ", "rules": "月 木", "meaning": "毎週 月・木曜日"} in honcho["days"]
    assert {"category": "燃やさないごみ", "rules": "水1 水3", "meaning": "第1・第3 水曜日"} in honcho["days"]
    assert "燃やすごみ" in areas["categories"]

    bad = {"水6": ("days.燃やすごみ", "1〜5"), "月 みどり": ("days.燃やすごみ", "「みどり」は読めません"),
           "20270230": ("days.燃やすごみ", "その日付はありません"), "金1:13": ("days.燃やすごみ", "1〜12"),
           "金1:": ("days.燃やすごみ", "「:」の後に収集する月")}
    for spec, (where, reason) in bad.items():
        r = await c.patch(f"{PREFIX}/garbage/areas/本町", headers=auth, json={"days": {"燃やすごみ": spec}})
        error = (await r.json())["error"]
        assert r.status == 422 and error["field"] == where and reason in error["message"], (spec, error)
    r = await c.patch(f"{PREFIX}/garbage/areas/本町", headers=auth, json={"days": {"宇宙ごみ": "月"}})
    assert r.status == 422 and (await r.json())["error"]["field"] == "days.宇宙ごみ"
    r = await c.post(f"{PREFIX}/garbage/areas", headers=auth, json={"name": "=HYPERLINK(1)", "days": {}})
    assert r.status == 422 and (await r.json())["error"]["field"] == "name"  # never a formula in the exported CSV

    t0 = time.monotonic()
    r = await c.patch(f"{PREFIX}/garbage/areas/本町", headers=auth,
                      json={"days": {"燃やすごみ": "火曜 金曜", "有害ごみ": ""}})
    assert r.status == 200, await r.text()
    days = {d["category"]: d for d in (await r.json())["days"]}
    assert days["燃やすごみ"]["rules"] == "火 金" and "有害ごみ" not in days

    def answered() -> bool:
        schedule = console.knowledge.calendar.schedule("本町", "燃やすごみ")
        return schedule is not None and {r.weekday for r in schedule.rules} == {1, 4}
    await eventually(answered)
    print(f"collection day changed → the bot's calendar answers it: {time.monotonic() - t0:.2f} s")
    assert console.knowledge.calendar.schedule("本町", "有害ごみ") is None

    r = await c.post(f"{PREFIX}/garbage/areas", headers=auth, json={
        "name": "みどり台", "center": "みどり町クリーンセンター", "days": {"燃やすごみ": "月 木", "燃やさないごみ": "水2"}})
    assert r.status == 201, await r.text()
    assert (await c.post(f"{PREFIX}/garbage/areas", headers=auth, json={"name": "みどり台"})).status == 409
    await eventually(lambda: "みどり台" in console.knowledge.calendar.areas)
    exported = (await console.get("/garbage/export", file="area_days.csv")).decode("utf-8-sig").splitlines()
    seeded = (REPO / "content/midori/garbage/area_days.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert exported[0] == seeded  # the town's columns as written (資源ごみ（缶・びん…）, full-width brackets)
    assert any(line.startswith("本町,みどり町クリーンセンター,火 金,水1 水3,") for line in exported)
    assert any(line.startswith("みどり台,みどり町クリーンセンター,月 木,水2,") for line in exported)

    r = await c.patch(f"{PREFIX}/garbage/areas/みどり台", headers=auth, json={"name": "緑台"})
    assert r.status == 200 and (await r.json())["name"] == "緑台"
    assert (await c.delete(f"{PREFIX}/garbage/areas/緑台", headers=auth)).status == 204
    await eventually(lambda: "緑台" not in console.knowledge.calendar.areas and
                     "みどり台" not in console.knowledge.calendar.areas)
    assert (await c.delete(f"{PREFIX}/garbage/areas/緑台", headers=auth)).status == 404
    assert (await c.patch(f"{PREFIX}/garbage/areas/本町", headers=console.viewer, json={})).status == 403
    assert await audited(console, "garbage.area.") == ["update", "create", "update", "delete"]


async def test_garbage_categories_added_renamed_and_deleted(console: Console) -> None:
    c, auth = console.client, console.auth
    r = await c.post(f"{PREFIX}/garbage/categories", headers=auth, json={
        "label": "小型家電", "sublabel": "携帯電話・デジタルカメラなど", "description": "役場の回収箱に入れてください。"})
    assert r.status == 201, await r.text()
    assert await r.json() == {"label": "小型家電", "sublabel": "携帯電話・デジタルカメラなど",
                              "description": "役場の回収箱に入れてください。", "items": 0}
    assert (await c.post(f"{PREFIX}/garbage/categories", headers=auth, json={"label": "小型家電"})).status == 409
    r = await c.post(f"{PREFIX}/garbage/categories", headers=auth, json={"label": "缶/びん"})
    assert r.status == 422 and (await r.json())["error"]["field"] == "label"
    item = await (await c.post(f"{PREFIX}/garbage/items", headers=auth,
                               json={"name": "デジタルフォトフレーム", "category": "小型家電"})).json()
    r = await c.patch(f"{PREFIX}/garbage/areas/本町", headers=auth, json={"days": {"小型家電": "土2"}})
    assert r.status == 200, await r.text()

    # renamed: its items and its collection days follow
    r = await c.patch(f"{PREFIX}/garbage/categories/小型家電", headers=auth,
                      json={"label": "小型家電製品", "description": "役場1階の回収箱へお持ちください。"})
    assert r.status == 200, await r.text()
    assert (await r.json())["items"] == 1
    categories = {x["label"]: x for x in await console.get("/garbage/categories")}
    assert "小型家電" not in categories and categories["小型家電製品"]["description"] == "役場1階の回収箱へお持ちください。"
    areas = await console.get("/garbage/areas")
    honcho = next(a for a in areas["areas"] if a["name"] == "本町")
    assert {"category": "小型家電製品", "rules": "土2", "meaning": "第2 土曜日"} in honcho["days"]

    def answered() -> bool:
        found = console.knowledge.garbage.lookup("デジタルフォトフレーム").best if console.knowledge.garbage else None
        return found is not None and found.item is not None and found.item.category == "小型家電製品" and \
            console.knowledge.garbage_categories.get("小型家電製品") == "役場1階の回収箱へお持ちください。"
    await eventually(answered)

    # deleted only once no item is in it; its column leaves area_days.csv
    r = await c.delete(f"{PREFIX}/garbage/categories/小型家電製品", headers=auth)
    error = (await r.json())["error"]
    assert r.status == 409 and "品目が1件" in error["message"] and error["field"] == "label"
    assert (await c.delete(f"{PREFIX}/garbage/items/{item['id']}", headers=auth)).status == 204
    assert (await c.delete(f"{PREFIX}/garbage/categories/小型家電製品", headers=auth)).status == 204
    assert "小型家電製品" not in (await console.get("/garbage/export", file="area_days.csv")).decode("utf-8-sig")
    assert (await c.delete(f"{PREFIX}/garbage/categories/小型家電製品", headers=auth)).status == 404
    assert await audited(console, "garbage.category.") == ["create", "update", "delete"]
    paths = {p.removeprefix(PREFIX): ops for p, ops in (await console.get("/openapi.json"))["paths"].items()}
    assert paths["/garbage/categories/{label}"]["patch"]["x-permission"] == "garbage.edit"
    assert paths["/garbage/areas/{name}"]["delete"]["x-permission"] == "garbage.edit"
    assert paths["/garbage/areas"]["get"]["x-permission"] == "garbage.read"


async def audited(console: Console, prefix: str) -> list[str]:
    from sqlmodel import col, select

    from civic.staff.models import OperationLog

    async with console.app[DATABASE].read() as s:
        rows = (await s.exec(select(OperationLog).where(col(OperationLog.action).startswith(prefix))
                             .order_by(col(OperationLog.id)))).all()
    return [r.action.removeprefix(prefix) for r in rows]
