"""Staff-side costs on the embedded SQLite: statistics, exports, menu rendering, password hashing.

``python -m bench staff [--messages N] [--friends N]`` seeds a fresh database with a month of talk
(N messages, half of them in), friendship events and rich-menu taps, then prints the time of each
staff operation (median of 3): 30 days of daily figures, usage by intent, unanswered questions, a
full talk-log CSV export, a failed sign-in with a wrong password and with an unknown id, rendering
the demo menu, one argon2id hash with the production parameters.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from bot.migrate import upgrade
from civic.citizens.models import Citizen, FriendshipEvent
from civic.clock import SystemClock
from civic.crypto import FieldCipher, parse_key
from civic.database import Database
from civic.staff import talklog
from civic.staff.errors import StaffError
from civic.staff.passwords import Passwords
from civic.staff.services import create_staff
from civic.staff.sessions import SessionPolicy, StaffSessions
from civic.stats import services as stats
from civic.stats.csvfile import csv_line
from richmenus.demo import DEMO_FILE, load_menu_file
from richmenus.models import RichMenuTap
from richmenus.render import Tab, render

START = date(2026, 11, 1)
INTENTS = ["garbage", "faq", "facility", "booking", "report", "procedure", "greeting", "nlu_fallback"]


async def _seed(db: Database, messages: int, friends: int) -> None:
    rng = random.Random(7)
    t0 = datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    async with db.write() as s:
        s.add_all([Citizen(channel_user_id=f"U{i:032x}", created_at=t0) for i in range(friends)])
    async with db.write() as s:
        events = []
        for cid in range(1, friends + 1):
            at = t0 + timedelta(seconds=rng.randrange(30 * 86400))
            events.append(FriendshipEvent(citizen_id=cid, kind="follow", at=at))
            if rng.random() < 0.1:
                events.append(FriendshipEvent(citizen_id=cid, kind="unfollow", at=at + timedelta(days=1)))
        s.add_all(events)
    batch = 5000
    for start in range(0, messages, batch):
        rows = []
        for _ in range(min(batch, messages - start)):
            user = f"U{rng.randrange(friends):032x}"
            at = t0 + timedelta(seconds=rng.randrange(30 * 86400))
            intent = rng.choice(INTENTS)
            rows.append(talklog.TalkEntry(channel_user_id=user, direction="in", kind="text",
                                          text=f"質問{rng.randrange(300)}", intent=intent, flow=intent, at=at))
            rows.append(talklog.TalkEntry(channel_user_id=user, direction="out", kind="text", text="お答えします",
                                          at=at + timedelta(seconds=1)))
            if rng.random() < 0.2:
                rows.append(RichMenuTap(at=at, channel_user_id=user, data="action=garbage", menu_id=1, area_index=0))
        async with db.write() as s:
            s.add_all(rows)


def _median(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:8.1f} ms"


async def _timed(label: str, work, repeat: int = 3) -> None:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        await work()
        times.append(time.perf_counter() - t)
    print(f"{label:<44}{_median(times)}")


async def _sign_in_figures(db: Database) -> None:
    """A wrong password and an unknown login id should cost the same (the answer is the same too)."""
    clock = SystemClock()
    passwords = Passwords()
    await create_staff(db, clock, "bench-admin", "correct horse battery staple", "ベンチ", passwords=passwords)
    sessions = StaffSessions(db, clock, passwords, SessionPolicy(max_failures=10**6, address_max_failures=10**6))

    def failing(login: str):
        async def attempt():
            try:
                await sessions.login(login, "wrong password 123", remote="192.0.2.1")
            except StaffError:
                return
        return attempt

    await _timed("sign-in, wrong password", failing("bench-admin"), repeat=5)
    await _timed("sign-in, unknown login id", failing("no-such-staff"), repeat=5)


async def _run(messages: int, friends: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{os.path.join(tmp, 'bench.db')}"
        await asyncio.to_thread(upgrade, url)
        db = Database(url, FieldCipher(parse_key("ab" * 32)))
        try:
            t = time.perf_counter()
            await _seed(db, messages // 2, friends)
            print(f"seeded {messages} talk entries, {friends} friends in {time.perf_counter() - t:.1f} s")
            end = START + timedelta(days=29)

            async def daily():
                async with db.read() as s:
                    await stats.daily(s, START, end)

            async def usage():
                async with db.read() as s:
                    await stats.usage_by(s, "intent", START, end)

            async def unanswered():
                async with db.read() as s:
                    await stats.unanswered(s, START, end)

            async def export():
                size = 0
                async for e in talklog.iterate(db, talklog.TalkQuery()):
                    size += len(csv_line([e.at, e.channel_user_id, e.direction, e.kind, e.text, e.intent, e.flow]))

            await _timed("daily figures, 30 days", daily)
            await _timed("chatbot use by intent, 30 days", usage)
            await _timed("unanswered questions (decrypt + group)", unanswered)
            await _timed(f"talk-log CSV export, all {messages} rows", export, repeat=1)
            await _sign_in_figures(db)
        finally:
            await db.dispose()
    menus = load_menu_file(DEMO_FILE)
    tabs = [Tab(m.tab_label or m.name, i + 1) for i, m in enumerate(menus.menus)]

    async def draw():
        render(menus.menus[0].layout, tabs=tabs, current=0)

    await _timed("render the demo menu (2500×1686 PNG)", draw)
    passwords = Passwords()

    async def hash_once():
        await passwords.hash("correct horse battery staple")

    await _timed("argon2id hash (64 MiB, t=3, p=4)", hash_once)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench staff")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--friends", type=int, default=5_000)
    args = parser.parse_args(argv)
    asyncio.run(_run(args.messages, args.friends))
    print(f"load average: {os.getloadavg()[0]:.2f} (2 shared cores)")
    return 0
