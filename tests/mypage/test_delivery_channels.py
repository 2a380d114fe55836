"""A delivery to LINE friends and e-mail subscribers, through the real dispatcher (linesim as LINE)
and the outbox sender (the local SMTP catcher): every citizen gets exactly one message on each
channel they chose — also when the service dies after LINE accepted a batch, and when the mail
sender dies between the server's 250 and its record (the resends carry the same Message-ID)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlmodel import select

from bot.mail_sender import MailCatcher, MailSender, SmtpConfig
from civic.citizens.models import Citizen
from civic.clock import FrozenClock
from civic.crypto import FieldCipher
from civic.database import Database
from civic.deliveries import stats
from civic.deliveries.models import R_DONE
from civic.mypage import channels, identity, outbox
from civic.mypage.models import M_SENT, MailMessage, MyPageNotice
from tests.attributes.support import NOW
from tests.deliveries.conftest import Line, line  # noqa: F401
from tests.deliveries.test_exactly_once import Crash, CrashAfter, sender
from tests.deliveries.test_sending import create, runs


async def _choose(db: Database, users: list[str], channel: str) -> list[str]:
    addresses = []
    async with db.write() as s:
        for u in users:
            c = (await s.exec(select(Citizen).where(Citizen.channel_user_id == u))).one()
            address = f"{u[-10:].lower()}@example.jp"
            await identity.set_address(s, NOW, c.id, address, verified=True)
            await channels.set_choices(s, c.id, {"general": channel})
            addresses.append(address)
    return addresses


class DiesAfterSending(MailSender):
    """The mail sender's process dies after the server accepted the ``n``-th mail, before recording it."""

    def __init__(self, *args, n: int, **kw) -> None:
        super().__init__(*args, **kw)
        self.n, self.count = n, 0

    async def send_one(self, smtp, mail):
        result = await super().send_one(smtp, mail)
        self.count += 1
        if self.count == self.n:
            raise Crash
        return result


async def test_each_citizen_gets_one_message_per_chosen_channel_across_crashes(
        database_url: str, cipher: FieldCipher, line: Line) -> None:  # noqa: F811
    clock = FrozenClock(NOW)
    before = Database(database_url, cipher)
    users = await line.citizens(before, 120)
    line_only, both, email_only = users[:40], users[40:80], users[80:]
    both_addresses = await _choose(before, both, "both")
    email_addresses = await _choose(before, email_only, "email")
    async with before.write() as s:
        web = [await identity.web_citizen(s, NOW, f"web{i}@example.jp") for i in range(10)]  # no LINE at all
    web_addresses = [f"web{i}@example.jp" for i in range(10)]
    await create(before, clock, title="防災訓練のお知らせ", messages=[{"type": "text", "text": "11月の防災訓練"}])
    crashing = sender(before, clock, CrashAfter(line.gateway, 1), "before-crash", concurrency=1)
    try:
        await crashing.tick()
    except Crash:
        pass
    await before.dispose()

    after = Database(database_url, cipher)
    catcher = MailCatcher().start()
    try:
        clock.advance(timedelta(minutes=3))
        assert await sender(after, clock, line.gateway, "after-restart").tick() == 1
        (run,) = await runs(after)
        assert (run.status, run.targeted, run.succeeded) == (R_DONE, 80, 80)  # LINE: line-only and both
        for u in line_only + both:
            assert [m["text"] for m in line.sim.messages(u)] == ["11月の防災訓練"]
        assert all(line.sim.messages(u) == [] for u in email_only)
        async with after.read() as s:  # one お知らせ for every citizen reached, on either channel
            notices = (await s.exec(select(Citizen.channel_user_id, MyPageNotice).join(
                MyPageNotice, MyPageNotice.citizen_id == Citizen.id))).all()
        assert Counter(u for u, _ in notices) == Counter(users + [w.channel_user_id for w in web])
        assert {(n.ref, n.title, n.body) for _, n in notices} == {(f"run:{run.id}", "防災訓練のお知らせ", "11月の防災訓練")}
        smtp = SmtpConfig("127.0.0.1", catcher.port, sender="bousai@town.example.jp")
        dying = DiesAfterSending(after, clock, smtp, n=27, batch=50, record_every=10)
        try:
            await dying.drain()
        except Crash:
            pass
        clock.advance(timedelta(minutes=3))  # the dead sender's claim runs out
        assert await MailSender(after, clock, smtp).drain() == 90 - 20  # 21st to 27th are sent again
        mails = catcher.parsed()
        assert len(mails) == 97  # seven resends after the crash …
        ids = Counter((m["To"], m["Message-ID"]) for m in mails)
        assert len(ids) == 90 and sorted(ids.values()) == [1] * 83 + [2] * 7  # … with the same Message-ID
        assert {to for to, _ in ids} == set(both_addresses + email_addresses + web_addresses)
        html = mails[0].get_body(("html",)).get_content()
        assert "11月の防災訓練" in html and mails[0]["Subject"] == "防災訓練のお知らせ"
        async with after.read() as s:
            assert await outbox.stats(s, run.id) == {"targeted": 90, "succeeded": 90, "failed": 0, "pending": 0}
            assert all(m.status == M_SENT for m in (await s.exec(select(MailMessage))).all())
            [figures] = await stats.history(s)  # the staff's statistics: each channel apart
            assert (figures.succeeded, figures.email) == (80, {"targeted": 90, "succeeded": 90, "failed": 0,
                                                               "pending": 0})
        assert len(web) == 10
    finally:
        catcher.stop()
        await after.dispose()
