"""Content staff edit live through the staff API (issue #16, "Staff console II"), on SQLite and PostgreSQL:
the monthly report labels FAQ figures with the FAQ in use, garbage categories and collection areas edited as
forms (and answered by the bot), life events of 手続きナビ deleted, report response templates."""

from __future__ import annotations

from datetime import UTC, datetime

from admin_api.app import PREFIX
from bot.appkeys import DATABASE
from civic.faq.models import FaqAnswer
from tests.admin_api.test_content_api import Console, console, eventually

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
