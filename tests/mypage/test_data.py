"""The my-page's data layer on SQLite and PostgreSQL: sections scoped to one citizen, codes, channel
choice for deliveries (exactly one message per chosen channel, also when planning runs twice), and
erasure leaving nothing of the my-page behind."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from civic.citizens.erasure import erase_citizen
from civic.deliveries.models import Delivery, DeliveryRun
from civic.mypage import channels, identity, outbox, sections
from civic.mypage.deliveries import plan
from civic.mypage.models import MailMessage, MyPageNotice
from civic.rows import pk
from tests.mypage.town import ALICE, BOB, build


async def test_sections_are_scoped_to_their_citizen(db) -> None:
    t = await build(db)
    async with db.write() as s:
        notes = await sections.notices(s, t.alice, limit=10)
        assert [n["title"] for n in notes["notices"]] == ["お知らせ3", "お知らせ2", "お知らせ1"]
        assert notes["unread"] == 3
        bobs = (await sections.notices(s, t.bob))["notices"][0]["id"]
        assert await sections.mark_read(s, t.town.clock.now(), t.alice, bobs) is None  # another's notice
        assert await sections.mark_read(s, t.town.clock.now(), t.alice, notes["notices"][0]["id"]) is not None
        assert await sections.report(s, t.alice, ALICE, t.bob_report) is None
        mine = await sections.report(s, t.alice, ALICE, t.alice_report)
        assert [h["note"] for h in mine["history"]] == ["", "穴を補修しました"]  # internal notes stay internal
        bob_todo = (await sections.todos(s, t.bob, t.town.clock.now().date()))[0]["id"]
        assert await sections.tick(s, t.town.clock.now(), t.alice, bob_todo, True) is None
    async with db.read() as s:
        assert (await sections.notices(s, t.alice))["unread"] == 2


async def test_codes_expire_limit_tries_and_are_rate_limited(db) -> None:
    t = await build(db, notices=0)
    now = t.town.clock.now()
    async with db.write() as s:
        subject = identity.address_digest(s, "Hanako@Example.JP ")
        assert subject == identity.address_digest(s, "hanako@example.jp")
        code = await identity.issue_code(s, now, subject, identity.SIGN_IN)
        with pytest.raises(identity.IdentityProblem) as refused:
            await identity.issue_code(s, now + timedelta(seconds=5), subject, identity.SIGN_IN)
        assert refused.value.code == "too_many"
        wrong = "000000" if code != "000000" else "111111"
        with pytest.raises(identity.IdentityProblem):
            await identity.check_code(s, now, subject, identity.SIGN_IN, wrong)
        await identity.check_code(s, now, subject, identity.SIGN_IN, code)
        with pytest.raises(identity.IdentityProblem):  # used once
            await identity.check_code(s, now, subject, identity.SIGN_IN, code)
        late = await identity.issue_code(s, now + timedelta(minutes=1), subject, identity.SIGN_IN)
        with pytest.raises(identity.IdentityProblem) as expired:
            await identity.check_code(s, now + timedelta(minutes=12), subject, identity.SIGN_IN, late)
        assert expired.value.code == "expired"
        for i in range(3):
            await identity.issue_code(s, now + timedelta(minutes=2 + i), subject, identity.SIGN_IN)
        with pytest.raises(identity.IdentityProblem):  # five an hour
            await identity.issue_code(s, now + timedelta(minutes=20), subject, identity.SIGN_IN)


async def _delivery(s, now) -> tuple[Delivery, DeliveryRun]:
    d = Delivery(title="秋祭りのご案内", messages=json.dumps([{"type": "text", "text": "10月に秋祭りを開きます。"}]),
                 target="all", timing="now", status="scheduled", created_at=now, updated_at=now)
    s.add(d)
    await s.flush()
    run = DeliveryRun(delivery_id=pk(d), due_at=now, status="sending", channel="production",
                      key_seed="6f1c1b0e-6d7a-4b7e-9d0e-2f1f3c4d5e6f", created_at=now)
    s.add(run)
    await s.flush()
    return d, run


async def test_a_delivery_reaches_each_citizen_once_per_chosen_channel(db) -> None:
    t = await build(db, notices=0)
    now = t.town.clock.now()
    async with db.write() as s:
        web = await identity.web_citizen(s, now, "web-only@example.jp")  # e-mail, no LINE
        for cid, address in ((t.alice, "alice@example.jp"), (t.bob, "bob@example.jp")):
            await identity.set_address(s, now, cid, address, verified=True)
        await channels.set_choices(s, t.alice, {"general": "both"})
        await channels.set_choices(s, t.bob, {"general": "email"})
        d, run = await _delivery(s, now)
        users = [ALICE, BOB]
        line = await plan(s, now, d, run, now.date(), users, town="みどり町")
        again = await plan(s, now, d, run, now.date(), users, town="みどり町")  # a crash, planned again
        assert line == again == [ALICE]  # bob chose e-mail only
        mails = (await s.exec(select(MailMessage).where(MailMessage.run_id == pk(run)))).all()
        assert sorted(m.to_address for m in mails) == ["alice@example.jp", "bob@example.jp", "web-only@example.jp"]
        assert all(m.subject == "【みどり町】秋祭りのご案内" and "10月に秋祭り" in m.text for m in mails)
        assert (await outbox.stats(s, pk(run))) == {"targeted": 3, "succeeded": 0, "failed": 0, "pending": 3}
        got = (await s.exec(select(MyPageNotice.citizen_id).where(MyPageNotice.ref == f"run:{pk(run)}"))).all()
        assert sorted(set(got)) == sorted({t.alice, t.bob, pk(web)})
        claimed = await outbox.claim(s, now)
        assert len(claimed) == 3 and await outbox.claim(s, now) == []  # a second sender takes nothing
        await outbox.sent(s, now, claimed[0].id)
        assert (await outbox.stats(s, pk(run)))["succeeded"] == 1


async def test_erasure_leaves_nothing_of_the_mypage(db) -> None:
    t = await build(db)
    now = t.town.clock.now()
    async with db.write() as s:
        await identity.set_address(s, now, t.alice, "alice@example.jp", verified=True)
        await identity.open_session(s, now, t.alice)
        await identity.issue_code(s, now, identity.address_digest(s, "alice@example.jp"), identity.VERIFY,
                                  citizen_id=t.alice)
        await channels.set_choices(s, t.alice, {"general": "both"})
        erased = await erase_citizen(s, t.alice, now)
    for table in ("mypage_notice", "mypage_todo", "mypage_email", "mypage_code", "mypage_session", "mypage_channel"):
        assert erased.counts.get(table), table
    async with db.read() as s:
        for table in ("mypage_notice", "mypage_todo", "mypage_email", "mypage_code", "mypage_session",
                      "mypage_channel", "mail_message"):
            n = (await s.exec(sa.text(f"SELECT count(*) FROM {table} WHERE citizen_id = :c").bindparams(c=t.alice))).one()
            assert n[0] == 0, table
        assert (await sections.notices(s, t.bob))["notices"]  # bob keeps his
