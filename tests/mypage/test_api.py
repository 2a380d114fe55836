"""The my-page's API: each citizen sees their own data and never another's (IDOR → 404), to-do ticks
persist, the web sign-in by a code read from the local catcher (real SMTP through the outbox sender),
the second step before erasure on the web, and linking LINE and e-mail after proving both."""

from __future__ import annotations

import re

from bot.mail_sender import MailCatcher, MailSender, SmtpConfig
from civic.booking.services import BookingService
from civic.citizens.models import Citizen
from civic.mypage import identity
from civic.mypage.notices import MailSettings
from liff.identity import StaticIdTokenVerifier
from liff.mypage.app import create_mypage_app
from liff.mypage.deps import MyPageDeps
from tests.booking.town import citizen
from tests.mypage.town import ALICE, BOB, build

TOKENS = {"tok-alice": ALICE, "tok-bob": BOB}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def client_for(aiohttp_client, db, t, *, wake=None):
    svc = BookingService(db, t.town.clock)
    deps = MyPageDeps(db, t.town.clock, svc, StaticIdTokenVerifier(TOKENS), mail=MailSettings("みどり町"),
                      wake_mail=wake)
    return await aiohttp_client(create_mypage_app(deps)), svc


async def test_each_citizen_sees_only_their_own(sqlite_db, aiohttp_client) -> None:
    t = await build(sqlite_db)
    client, svc = await client_for(aiohttp_client, sqlite_db, t)
    await svc.reserve(t.town.request("gym.half-a", time="9:00-12:00"), citizen(ALICE))
    await svc.reserve(t.town.request("gym.half-a", time="13:00-17:00"), citizen(BOB, name="ボブ"))
    assert (await client.get("/api/me")).status == 401
    assert (await client.get("/api/me", headers=auth("forged"))).status == 401
    me = await (await client.get("/api/me", headers=auth("tok-alice"))).json()
    assert me["notices"]["unread"] == 3 and len(me["reports"]) == 1 and len(me["todos"]) == 2
    [mine] = me["bookings"]["upcoming"]
    bob = await (await client.get("/api/me", headers=auth("tok-bob"))).json()
    [bobs] = bob["bookings"]["upcoming"]
    alice = auth("tok-alice")
    # another citizen's ids: 404, and nothing changes
    assert (await client.post(f"/api/notices/{bob['notices']['notices'][0]['id']}/read", headers=alice)).status == 404
    assert (await client.get(f"/api/reports/{t.bob_report}", headers=alice)).status == 404
    assert (await client.post(f"/api/todos/{bob['todos'][0]['id']}", json={"done": True}, headers=alice)).status == 404
    assert (await client.post(f"/api/bookings/{bobs['number']}/cancel", headers=alice)).status == 404
    assert (await client.post(f"/api/bookings/{bobs['number']}/change", json={}, headers=alice)).status == 404
    assert (await client.delete("/api/todos/events/none", headers=alice)).status == 404
    assert [v.status for v in await svc.my_reservations(BOB)] == [bobs["status"]]
    # their own: fine
    report = await (await client.get(f"/api/reports/{t.alice_report}", headers=alice)).json()
    assert report["history"][-1]["note"] == "穴を補修しました"
    todo = me["todos"][0]["id"]
    assert (await (await client.post(f"/api/todos/{todo}", json={"done": True}, headers=alice)).json())["done"]
    again = await (await client.get("/api/todos", headers=alice)).json()
    assert [x["done"] for x in again["todos"] if x["id"] == todo] == [True]  # the tick persisted
    assert (await client.post(f"/api/bookings/{mine['number']}/cancel", headers=alice)).status == 200
    assert [v.status for v in await svc.my_reservations(ALICE)] == []


async def test_web_sign_in_with_a_code_from_the_catcher_and_erasure(sqlite_db, aiohttp_client) -> None:
    t = await build(sqlite_db)
    catcher = MailCatcher().start()
    try:
        sender = MailSender(sqlite_db, t.town.clock, SmtpConfig("127.0.0.1", catcher.port, sender="town@example.jp"))
        client, _ = await client_for(aiohttp_client, sqlite_db, t)
        assert (await client.post("/api/auth/code", json={"address": "not an address"})).status == 422
        r = await client.post("/api/auth/code", json={"address": "hanako@example.jp"})
        assert r.status == 202
        assert (await client.post("/api/auth/code", json={"address": "hanako@example.jp"})).status == 429
        assert await sender.drain() == 1
        [mail] = catcher.parsed()
        assert mail["Subject"] == "【みどり町】確認コードのお知らせ" and mail["To"] == "hanako@example.jp"
        code = re.search(r"^(\d{6})$", mail.get_body(("plain",)).get_content(), re.M).group(1)
        assert (await client.post("/api/auth/verify", json={"address": "hanako@example.jp", "code": "12345x"})).status == 422
        r = await client.post("/api/auth/verify", json={"address": "hanako@example.jp", "code": code})
        assert r.status == 200
        me = await (await client.get("/api/me")).json()
        assert me["identity"]["via"] == "web" and me["identity"]["email"]["verified"] and me["notices"]["unread"] == 0
        # changes need the page's header (no cross-site form can send it)
        assert (await client.put("/api/channels", json={"general": "email"})).status == 403
        assert (await client.put("/api/channels", json={"general": "email"}, headers={"X-Mypage": "1"})).status == 200
        # erasure on the web needs the second step (TOTP here)
        h = {"X-Mypage": "1"}
        assert (await client.post("/api/erase", json={"confirm": True}, headers=h)).status == 403
        secret = (await (await client.post("/api/totp/setup", headers=h)).json())["secret"]
        import pyotp

        now = t.town.clock.now()
        ok = await client.post("/api/totp/confirm", json={"secret": secret, "code": pyotp.TOTP(secret).at(now)}, headers=h)
        assert ok.status == 200  # first setup also counts as the second step
        r = await client.post("/api/erase", json={"confirm": True}, headers=h)
        assert r.status == 200
        async with sqlite_db.read() as s:
            assert await identity.email_by_address(s, "hanako@example.jp") is None
        assert (await client.get("/api/me")).status == 401  # the session went with the data
    finally:
        catcher.stop()


async def test_line_and_email_identities_link_after_proving_both(sqlite_db, aiohttp_client) -> None:
    t = await build(sqlite_db)
    client, _ = await client_for(aiohttp_client, sqlite_db, t)
    now = t.town.clock.now()
    async with sqlite_db.write() as s:  # a web-only account with a saved to-do
        web = await identity.web_citizen(s, now, "alice@example.jp")
        from civic.mypage import sections

        await sections.save_results(s, now, web.id, "moving", "転入", [
            sections.SavedProcedure(1, "転入届", "市民課", (), "14日以内", None)])
        code = await identity.issue_code(s, now, identity.address_digest(s, "alice@example.jp"), identity.VERIFY,
                                         citizen_id=t.alice)
    r = await client.post("/api/email/verify", json={"address": "alice@example.jp", "code": code},
                          headers=auth("tok-alice"))
    assert (await r.json()) == {"ok": True, "linked": True}
    me = await (await client.get("/api/me", headers=auth("tok-alice"))).json()
    assert {x["event_code"] for x in me["todos"]} == {"birth", "moving"}
    async with sqlite_db.read() as s:
        gone = await s.get(Citizen, web.id)
        assert gone is not None and gone.channel_user_id.startswith("erased-")


class _Silent:
    """The LINE side of notices (nothing to check here)."""

    async def notify(self, session, notice) -> None:
        return None


async def test_a_booking_is_confirmed_by_email_to_a_verified_address_only(sqlite_db, aiohttp_client) -> None:
    from sqlmodel import select

    from civic.mypage.models import MailMessage, MyPageNotice
    from civic.mypage.notices import MyPageNotifier
    from liff.booking.app import BookingDeps, create_booking_liff_app
    from tests.liff.test_api import booking

    t = await build(sqlite_db, notices=0)
    svc = BookingService(sqlite_db, t.town.clock, MyPageNotifier(_Silent(), t.town.clock, MailSettings("みどり町")))
    async with sqlite_db.write() as s:
        await identity.set_address(s, t.town.clock.now(), t.alice, "alice@example.jp", verified=True)
        await identity.set_address(s, t.town.clock.now(), t.bob, "bob@example.jp")  # not verified
    client = await aiohttp_client(create_booking_liff_app(BookingDeps(sqlite_db, t.town.clock, svc),
                                                          StaticIdTokenVerifier(TOKENS)))
    r = await client.post("/api/reservations", json=booking(t.town), headers=auth("tok-alice"))
    number = (await r.json())["number"]
    r = await client.post("/api/reservations", json=booking(t.town, unit_id=t.town.unit("gym.half-b"), start_minute=780, end_minute=1020),
                          headers=auth("tok-bob"))
    assert r.status == 201, await r.text()
    async with sqlite_db.read() as s:
        [mail] = (await s.exec(select(MailMessage))).all()  # nothing to an unverified address
        assert mail.to_address == "alice@example.jp" and mail.subject == "【みどり町】施設予約を受け付けました"
        assert f"予約番号：{number}" in mail.text and "12月5日 9:00〜12:00" in mail.text
        kinds = (await s.exec(select(MyPageNotice.citizen_id, MyPageNotice.kind).where(
            MyPageNotice.kind == "booking.confirmed"))).all()
    assert sorted(kinds) == sorted([(t.alice, "booking.confirmed"), (t.bob, "booking.confirmed")])


async def test_notices_page_newest_first_and_unsubscribe(sqlite_db, aiohttp_client) -> None:
    t = await build(sqlite_db, notices=60)
    client, _ = await client_for(aiohttp_client, sqlite_db, t)
    alice = auth("tok-alice")
    first = (await (await client.get("/api/me", headers=alice)).json())["notices"]
    assert len(first["notices"]) == 20 and first["more"] and first["notices"][0]["title"] == "お知らせ60"
    rest = await (await client.get(f"/api/notices?before={first['notices'][-1]['id']}", headers=alice)).json()
    assert [n["title"] for n in rest["notices"]] == [f"お知らせ{i}" for i in range(40, 0, -1)] and not rest["more"]
    async with sqlite_db.write() as s:
        email = await identity.set_address(s, t.town.clock.now(), t.alice, "alice@example.jp", verified=True)
        token = email.unsubscribe_token
    page = await client.get(f"/unsubscribe/{token}")
    assert page.status == 200 and "メールの受け取りを停止する" in await page.text()  # a GET changes nothing
    assert (await (await client.get("/api/me", headers=alice)).json())["identity"]["email"]["subscribed"]
    done = await client.post(f"/unsubscribe/{token}")
    assert "停止しました" in await done.text()
    assert not (await (await client.get("/api/me", headers=alice)).json())["identity"]["email"]["subscribed"]
    assert "無効" in await (await client.get("/unsubscribe/nonsense")).text()


async def test_a_line_citizen_leaves_from_the_mypage(sqlite_db, aiohttp_client) -> None:
    t = await build(sqlite_db)
    called = []

    async def after(erasure, user_id) -> None:
        called.append((user_id, erasure.counts.get("mypage_todo")))

    deps = MyPageDeps(sqlite_db, t.town.clock, BookingService(sqlite_db, t.town.clock), StaticIdTokenVerifier(TOKENS),
                      after_erasure=after)
    client = await aiohttp_client(create_mypage_app(deps))
    assert (await client.post("/api/erase", json={}, headers=auth("tok-alice"))).status == 422  # not confirmed
    r = await client.post("/api/erase", json={"confirm": True}, headers=auth("tok-alice"))
    assert r.status == 200 and "削除しました" in (await r.json())["message"]
    assert called == [(ALICE, {"delete": 2})]  # the service erases the inbox events and the menu link
    assert (await client.get("/api/me", headers=auth("tok-alice"))).status == 403  # not a friend any more
    async with sqlite_db.read() as s:
        assert (await s.get(Citizen, t.alice)).channel_user_id.startswith("erased-")
    assert (await client.get("/api/me", headers=auth("tok-bob"))).status == 200
