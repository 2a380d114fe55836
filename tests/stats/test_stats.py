"""Daily figures on both backends, with Tokyo day boundaries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from civic.citizens.models import Citizen, FriendshipEvent
from civic.database import Database
from civic.stats import services as stats
from civic.talklog.models import TalkEntry
from richmenus import taps
from richmenus.models import RichMenuRelease

D1 = date(2026, 11, 10)


def _jst(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=9)


async def _citizens(db: Database, n: int) -> list[int]:
    async with db.write() as s:
        rows = [Citizen(channel_user_id=f"U{i:032x}", created_at=_jst(D1, 0)) for i in range(n)]
        s.add_all(rows)
        await s.flush()
        return [r.id for r in rows]  # type: ignore[misc]


async def test_friends_and_blocks_replay_the_history(db: Database) -> None:
    a, b, c = await _citizens(db, 3)
    events = [
        (a, "follow", _jst(D1 - timedelta(days=3), 12)),  # before the period: counts in the totals only
        (b, "follow", _jst(D1, 9)),
        (c, "follow", _jst(D1, 23, 59)),
        (b, "unfollow", _jst(D1 + timedelta(days=1), 0, 1)),  # a minute after midnight in Tokyo: day 2
        (b, "follow", _jst(D1 + timedelta(days=2), 10)),  # unblocked
    ]
    async with db.write() as s:
        s.add_all([FriendshipEvent(citizen_id=cid, kind=kind, at=at) for cid, kind, at in events])
    async with db.read() as s:
        days = await stats.daily(s, D1, D1 + timedelta(days=3))
    assert [(d.friends, d.follows, d.blocks, d.blocked) for d in days] == [
        (3, 2, 0, 0), (2, 0, 1, 1), (3, 1, 0, 0), (3, 0, 0, 0)]


async def test_messages_users_and_fallback_rate_per_day(db: Database) -> None:
    rows = [
        ("U1", "in", "garbage", _jst(D1, 8)), ("U1", "out", None, _jst(D1, 8)),
        ("U2", "in", "nlu_fallback", _jst(D1, 9)), ("U2", "out", None, _jst(D1, 9)),
        ("U2", "in", "faq", _jst(D1, 10)), ("U1", "in", None, _jst(D1, 11)),  # a sticker: no intent
        ("U3", "in", "nlu_fallback", _jst(D1 + timedelta(days=1), 7)),
    ]
    async with db.write() as s:
        s.add_all([TalkEntry(channel_user_id=u, direction=d, kind="text", text="…", intent=i, at=at)
                   for u, d, i, at in rows])
    async with db.read() as s:
        first, second = await stats.daily(s, D1, D1 + timedelta(days=1))
    assert (first.messages_in, first.messages_out, first.active_users) == (4, 2, 2)
    assert (first.understood, first.fallbacks, first.fallback_rate) == (2, 1, 0.3333)
    assert (second.messages_in, second.fallback_rate) == (1, 1.0)


async def test_usage_by_intent_and_flow_and_unanswered_questions(db: Database) -> None:
    rows = [
        ("U1", "garbage", "garbage", "粗大ごみ", _jst(D1, 8)), ("U2", "garbage", "garbage", "びん", _jst(D1, 9)),
        ("U2", "faq", None, "開庁時間", _jst(D1, 9)),
        ("U1", "nlu_fallback", None, "ドローンは飛ばせますか？", _jst(D1, 10)),
        ("U3", "nlu_fallback", None, "ドローンは飛ばせますか", _jst(D1, 11)),
        ("U3", "nlu_fallback", None, "温泉はありますか", _jst(D1, 12)),
    ]
    async with db.write() as s:
        s.add_all([TalkEntry(channel_user_id=u, direction="in", kind="text", text=t, intent=i, flow=f, at=at)
                   for u, i, f, t, at in rows])
    async with db.read() as s:
        by_intent = await stats.usage_by(s, "intent", D1, D1)
        by_flow = await stats.usage_by(s, "flow", D1, D1)
        unanswered = await stats.unanswered(s, D1, D1)
    assert by_intent == [(D1, "nlu_fallback", 3), (D1, "garbage", 2), (D1, "faq", 1)]
    assert by_flow == [(D1, "garbage", 2)]
    assert [(u.text, u.count, u.users) for u in unanswered] == [("ドローンは飛ばせますか？", 2, 2), ("温泉はありますか", 1, 1)]


async def test_taps_are_counted_for_published_areas_only(db: Database) -> None:
    snapshot = {"default": 1, "segments": [], "menus": {"1": {"name": "メイン", "image": "x", "spec": {
        "areas": [{"label": "ごみ分別", "action": {"type": "postback", "data": "action=garbage"}},
                  {"label": "くらし", "action": {"type": "richmenuswitch", "menu_id": 2,
                                                  "data": "richmenu-switch=2"}}]}}}}
    async with db.write() as s:
        s.add(RichMenuRelease(account="production", number=1, snapshot=json.dumps(snapshot), status="applied",
                              source="draft", created_by="x", created_at=_jst(D1, 0)))
    async with db.write() as s:
        assert await taps.record_tap(s, "U1", "action=garbage", _jst(D1, 9)) is not None
        assert await taps.record_tap(s, "U2", "action=garbage", _jst(D1, 23, 30)) is not None
        assert await taps.record_tap(s, "U2", "richmenu-switch=2", _jst(D1 + timedelta(days=1), 1)) is not None
        assert await taps.record_tap(s, "U1", "action=flex-button", _jst(D1, 9)) is None
    assert taps.is_switch_data("richmenu-switch=2") and not taps.is_switch_data("action=garbage")
    async with db.read() as s:
        per_day = await taps.taps_per_day(s, D1, D1 + timedelta(days=1))
        counts = await taps.tap_counts(s, None, None)
        days = await stats.daily(s, D1, D1 + timedelta(days=1), per_day)
    assert per_day == {D1: 2, D1 + timedelta(days=1): 1}
    assert [(c.label, c.area_index, c.taps, c.users) for c in counts] == [("ごみ分別", 0, 2, 2), ("くらし", 1, 1, 1)]
    assert [d.richmenu_taps for d in days] == [2, 1]
