"""``python -m bench mypage``: the my-page's first render for a busy citizen, and e-mail throughput.

* First render: a citizen with ``--notices`` 500 notices, ``--bookings`` 50 bookings and ``--reports``
  20 reports (each with its status history) among ``--others`` other citizens; ``GET /api/me`` (the
  one call the page makes first) timed on the server, then the page in headless Chromium from
  navigation to the sections drawn (``body[data-ready]``), median of ``--runs``.
* E-mail: ``--mails`` mails queued in the outbox, sent by the outbox sender over SMTP to the local
  catcher (aiosmtpd), mails per second including the outbox's writes.

    python -m bench mypage [--notices 500] [--bookings 50] [--reports 20] [--mails 1000] [--no-browser]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.mail_sender import MailCatcher, MailSender, SmtpConfig
from bot.migrate import upgrade
from civic.booking.availability import load_availability
from civic.booking.models import SOURCE_LIFF
from civic.booking.reservations import reserve_in
from civic.booking.services import BookingService
from civic.booking.types import Booker, BookingRequest, Reserved
from civic.citizens.models import Citizen
from civic.clock import FrozenClock, tokyo
from civic.crypto import FieldCipher, parse_key
from civic.database import Database
from civic.facilities.catalogue import load_catalogue
from civic.facilities.content import read_facilities_file, seed_facilities
from civic.facilities.models import PRIVATE, RESIDENT
from civic.mypage import outbox, templates
from civic.mypage.deliveries import record_notices
from civic.mypage.notices import MailSettings
from civic.reports.models import DONE, IN_PROGRESS, RECEIVED, Report, ReportStatusChange
from civic.rows import pk
from liff.identity import StaticIdTokenVerifier
from liff.mypage.app import create_mypage_app
from liff.mypage.deps import MyPageDeps

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
UID = "U" + "b3" * 16
CONTENT = Path(__file__).resolve().parent.parent / "content" / "midori"


async def _seed(db: Database, clock: FrozenClock, args: argparse.Namespace) -> int:
    async with db.write() as s:
        await seed_facilities(s, read_facilities_file(CONTENT / "facilities.yml"), NOW)
        s.add_all([Citizen(channel_user_id=f"U{i:032x}", is_friend=True, created_at=NOW) for i in range(args.others)])
        me = Citizen(channel_user_id=UID, is_friend=True, created_at=NOW)
        s.add(me)
        await s.flush()
        cid = pk(me)
        for i in range(args.notices):
            await record_notices(s, NOW - timedelta(hours=args.notices - i), [UID], kind="delivery", ref=f"run:{i}",
                                 title=f"お知らせ{i}", body=f"町からのお知らせ{i}です。" * 5)
        for i in range(args.reports):
            r = Report(receipt_no=f"R-{i:05d}", category="road", description=f"道路の穴{i}", latitude=32.0,
                       longitude=131.0, address="本町", status=DONE, reporter=UID, citizen_id=cid,
                       created_at=NOW, updated_at=NOW)
            s.add(r)
            await s.flush()
            for n, (a, b) in enumerate(((None, RECEIVED), (RECEIVED, IN_PROGRESS), (IN_PROGRESS, DONE))):
                s.add(ReportStatusChange(report_id=pk(r), from_status=a, to_status=b, note=f"対応{n}",
                                         notified=True, at=NOW + timedelta(minutes=n)))
    today = tokyo(NOW).date()
    async with db.read() as s:
        catalogue = await load_catalogue(s)
        bundles = catalogue.ordered()
        avail = await load_availability(s, bundles, today, today + timedelta(days=60), NOW)
    made = 0
    for b in bundles:
        for unit in b.units:
            if unit.visibility == PRIVATE or made >= args.bookings:
                continue
            purposes = b.purposes_for(unit.id or 0)
            for offset in range(1, 60):
                for slot in avail[b.id].slots(unit, today + timedelta(days=offset)):
                    if made >= args.bookings or slot.status != "free":
                        continue
                    request = BookingRequest(unit.id or 0, slot.day, slot.start_minute, slot.end_minute,
                                             people=max(unit.min_people or 1, 2), purpose=purposes[0] if purposes else "",
                                             activity="練習" if unit.activity_required else None, terms_accepted=True)
                    async with db.write() as s:
                        result = await reserve_in(s, request, Booker(UID, RESIDENT, frozenset(), "山田", "090"), NOW,
                                                  source=SOURCE_LIFF)
                    made += isinstance(result, Reserved)
                    break
    return made


async def _render(db: Database, clock: FrozenClock, args: argparse.Namespace) -> None:
    deps = MyPageDeps(db, clock, BookingService(db, clock), StaticIdTokenVerifier({"tok": UID}),
                      mail=MailSettings("みどり町"))
    app = web.Application()
    app.add_subapp("/liff/mypage", create_mypage_app(deps))
    server = TestServer(app, host="127.0.0.1")
    async with TestClient(server) as client:
        times = []
        for _ in range(args.runs * 4):
            started = time.perf_counter()
            r = await client.get("/liff/mypage/api/me", headers={"Authorization": "Bearer tok"})
            data = await r.json()
            times.append((time.perf_counter() - started) * 1000)
        print(f"GET /api/me: median {statistics.median(times):.1f} ms, p95 "
              f"{sorted(times)[int(len(times) * 0.95) - 1]:.1f} ms ({len(data['bookings']['upcoming'])} bookings, "
              f"{len(data['reports'])} reports, {data['notices']['unread']} unread notices, first 20 shown)")
        if args.no_browser:
            return
        from tests.browser import chromium, phone_page

        url = str(server.make_url("/liff/mypage/")) + "?id_token=tok"
        renders = []
        async with chromium() as browser:
            for _ in range(args.runs):
                async with phone_page(browser, line=True) as page:
                    await page.clock.set_fixed_time(NOW)
                    started = time.perf_counter()
                    await page.goto(url)
                    await page.wait_for_selector("body[data-ready]", state="attached")
                    renders.append((time.perf_counter() - started) * 1000)
        print(f"first render in Chromium (navigation → sections drawn): median {statistics.median(renders):.0f} ms, "
              f"min {min(renders):.0f} ms, max {max(renders):.0f} ms over {args.runs} runs")


async def _mail(db: Database, clock: FrozenClock, n: int) -> None:
    mail = templates.notice_mail("みどり町", "お知らせ", "町からのお知らせです。" * 20, "https://town.example.jp/u/x")
    async with db.write() as s:
        for i in range(n):
            await outbox.enqueue(s, NOW, to=f"user{i}@example.jp", mail=mail, kind="delivery", dedupe_key=f"b{i}")
    catcher = MailCatcher().start()
    try:
        sender = MailSender(db, clock, SmtpConfig("127.0.0.1", catcher.port, sender="town@example.jp"), batch=100)
        started = time.perf_counter()
        sent = await sender.drain()
        took = time.perf_counter() - started
        assert sent == n == len(catcher.messages)
        print(f"e-mail: {n} mails through the outbox to the local catcher in {took:.2f} s = {n / took:.0f} mails/s")
    finally:
        catcher.stop()


async def _main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await asyncio.to_thread(upgrade, url)
        db = Database(url, FieldCipher(parse_key("00" * 32)))
        clock = FrozenClock(NOW)
        try:
            started = time.perf_counter()
            made = await _seed(db, clock, args)
            print(f"seeded {args.notices} notices, {made} bookings, {args.reports} reports (+{args.others} citizens) "
                  f"in {time.perf_counter() - started:.1f} s")
            await _render(db, clock, args)
            await _mail(db, clock, args.mails)
        finally:
            await db.dispose()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench mypage")
    p.add_argument("--notices", type=int, default=500)
    p.add_argument("--bookings", type=int, default=50)
    p.add_argument("--reports", type=int, default=20)
    p.add_argument("--others", type=int, default=2000)
    p.add_argument("--mails", type=int, default=1000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--no-browser", action="store_true")
    asyncio.run(_main(p.parse_args(argv)))
    return 0
