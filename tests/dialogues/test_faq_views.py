"""Staff FAQ API: per-entry feedback figures, the answer log, unanswered questions to triage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from admin_api import faq_views
from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext
from civic.clock import FrozenClock
from civic.faq.services import record_answer, record_feedback, record_unanswered

NOW = datetime(2025, 6, 9, 1, 0, tzinfo=UTC)
QUESTIONS = {"faq-001": "役場の開庁時間を教えてください。", "faq-002": "休日窓口はありますか。"}


class Tokens:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return {"staff": Principal(1, "sato", "佐藤", frozenset({"faq.read", "faq.edit"})),
                "viewer": Principal(2, "kato", "加藤", frozenset({"faq.read"}))}.get(token)


async def _seed(db) -> int:
    async with db.write() as s:
        for i, (entry, helpful) in enumerate([("faq-001", True), ("faq-001", False), ("faq-001", False),
                                              ("faq-002", True), ("faq-002", None)]):
            row = await record_answer(s, entry_id=entry, question=f"質問{i}", channel="production", asker=f"U{i}",
                                      now=NOW + timedelta(minutes=i))
            if helpful is not None:
                assert await record_feedback(s, row.id, helpful, asker=f"U{i}", now=NOW) == "recorded"
        q = await record_unanswered(s, question="熊を見ました", channel="web", candidates=["faq-131"], now=NOW)
    return q.id


async def test_stats_answers_and_unanswered(aiohttp_client, db) -> None:
    qid = await _seed(db)
    client = await aiohttp_client(create_admin_app(Tokens(), [faq_views.router], context=AdminContext(
        db, FrozenClock(NOW), faq_questions=QUESTIONS)))
    staff, viewer = {"Authorization": "Bearer staff"}, {"Authorization": "Bearer viewer"}
    stats = await (await client.get("/faq/stats", headers=viewer)).json()
    assert [(s["entry_id"], s["answers"], s["helpful"], s["not_helpful"], s["helpful_rate"]) for s in stats] == [
        ("faq-001", 3, 1, 2, 0.333), ("faq-002", 2, 1, 0, 1.0)]  # the least helpful first
    assert stats[0]["question"] == "役場の開庁時間を教えてください。"
    answers = await (await client.get("/faq/answers", params={"helpful": "no"}, headers=viewer)).json()
    assert [a["question"] for a in answers] == ["質問2", "質問1"]
    unanswered = await (await client.get("/faq/unanswered", headers=viewer)).json()
    assert [(u["question"], u["candidates"], u["status"]) for u in unanswered] == [("熊を見ました", ["faq-131"], "open")]
    assert await (await client.get("/faq/unanswered/count", headers=viewer)).json() == {"open": 1}
    r = await client.post(f"/faq/unanswered/{qid}", json={"status": "answered", "faq_entry_id": "faq-999"},
                          headers=staff)
    assert r.status == 422 and (await r.json())["error"]["field"] == "faq_entry_id"
    r = await client.post(f"/faq/unanswered/{qid}", json={"status": "answered"}, headers=viewer)
    assert r.status == 403
    r = await client.post(f"/faq/unanswered/{qid}", json={"status": "answered", "note": "FAQ に追加",
                                                          "faq_entry_id": "faq-002"}, headers=staff)
    body = await r.json()
    assert body["status"] == "answered" and body["handled_by"] == "佐藤" and body["handled_at"]
    assert await (await client.get("/faq/unanswered", headers=viewer)).json() == []
    assert (await client.post("/faq/unanswered/999", json={"status": "dismissed"}, headers=staff)).status == 404
