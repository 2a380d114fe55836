"""``DELETE /citizens/{id}``: a confirmation step that changes nothing, then the erasure, logged once
with counts only; only administrators may; LINE being unreachable does not stop it. Built as
``serve`` builds it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from admin_api.app import PREFIX, create_admin_app
from admin_api.citizen_views import citizen_router
from admin_api.staff_auth import StaffAuthenticator
from bot.appkeys import CLOCK, DATABASE
from bot.citizen_erasure import menu_unlinker
from civic.booking.models import Reservation
from civic.booking.services import BookingService
from civic.citizens.models import Citizen
from civic.faq.services import record_answer
from civic.reports.services import submit_report
from civic.staff.audit import Auditor
from civic.staff.models import OperationLog
from civic.staff.services import create_staff
from civic.talklog.models import TalkEntry
from richmenus.models import RichMenuUserLink
from richmenus.publish import RichMenuPublisher
from tests.booking.town import citizen
from tests.richmenus.line_view import line_apis

USER = "U" + "e" * 32
NAME, PHONE = "鈴木 一郎", "090-5555-1234"
SAID = "鈴木です。家の前の側溝のふたが割れています"
PASSWORD = "staff-pass-2026"


async def _setup(service) -> tuple[int, dict[str, dict[str, str]]]:
    app, client, town = service.app, service.client, service.town
    db, clock = app[DATABASE], app[CLOCK]
    await BookingService(db, clock).reserve(town.request("gym.half-a", activity=SAID), citizen(USER, name=NAME,
                                                                                                 phone=PHONE))
    now = clock.now()
    async with db.write() as s:
        person = Citizen(channel_user_id=USER, display_name=NAME, created_at=now, followed_at=now)
        s.add(person)
        s.add(TalkEntry(channel_user_id=USER, direction="in", kind="text", text=SAID, at=now))
        s.add(RichMenuUserLink(account="production", channel_user_id=USER, line_rich_menu_id="richmenu-x",
                               segment_id="all", linked_at=now))
        await record_answer(s, entry_id="faq-001", question=SAID, channel="production", asker=USER, now=now)
        await submit_report(s, category="road_surface", description=SAID, latitude=35.0, longitude=135.0,
                            reporter=USER, now=now)
        await s.flush()
        citizen_id = person.id
    headers = {}
    for login, role in (("kanri", "admin"), ("shisetsu", "facility"), ("etsuran", "viewer")):
        await create_staff(db, clock, login, PASSWORD, login, role)
        r = await client.post(f"{PREFIX}/auth/login", json={"login": login, "password": PASSWORD})
        headers[role] = {"Authorization": f"Bearer {(await r.json())['token']}"}
    assert citizen_id is not None
    return citizen_id, headers


async def _talk(db) -> int:
    async with db.read() as s:
        return len((await s.exec(select(TalkEntry).where(TalkEntry.channel_user_id == USER))).all())


async def test_confirm_then_erase_logged_once_without_personal_data(service) -> None:
    citizen_id, headers = await _setup(service)
    client, db, clock = service.client, service.app[DATABASE], service.app[CLOCK]
    path = f"{PREFIX}/citizens/{citizen_id}"

    for role in ("facility", "viewer"):  # even with personal.view: erasing is the administrators'
        assert (await client.delete(path, headers=headers[role])).status == 403

    r = await client.delete(path, headers=headers["admin"])
    assert r.status == 428
    ask = await r.json()
    assert ask["error"]["code"] == "confirmation_required"
    features = {(row["feature"], row["action"]): row["rows"] for row in ask["erased"]}
    assert features[("トークログ", "delete")] == 1
    assert features[("施設予約", "anonymise")] == 1
    assert features[("通報", "anonymise")] == 1
    assert ask["line_rich_menu_links"] == 1
    assert await _talk(db) == 1  # nothing changed yet

    # a token for another citizen, a forged one, or an expired one asks again
    assert (await client.delete(f"{PREFIX}/citizens/{citizen_id + 1000}", headers=headers["admin"],
                                params={"confirm": ask["confirm"]})).status == 404
    forged = ask["confirm"][:-1] + ("1" if ask["confirm"].endswith("0") else "0")  # always a different token
    assert (await client.delete(path, headers=headers["admin"], params={"confirm": forged})).status == 428
    for odd in ("²³.x", "9" * 150 + ".abc", ".", ""):
        assert (await client.delete(path, headers=headers["admin"], params={"confirm": odd})).status == 428
    clock.advance(timedelta(minutes=6))
    stale = await client.delete(path, headers=headers["admin"], params={"confirm": ask["confirm"]})
    assert stale.status == 428 and "期限" in (await stale.json())["error"]["message"]
    assert await _talk(db) == 1
    token = (await stale.json())["confirm"]

    r = await client.delete(path, headers=headers["admin"], params={"confirm": token})
    assert r.status == 200, await r.text()
    done = await r.json()
    assert done["line_rich_menu"] == "failed"  # LINE unreachable in this test: erased all the same
    assert {(row["feature"], row["action"]): row["rows"] for row in done["erased"]}[("トークログ", "delete")] == 1
    assert await _talk(db) == 0
    async with db.read() as s:
        reservation = (await s.exec(select(Reservation))).one()
        assert reservation.applicant_name is None and reservation.channel_user_id is None
        assert reservation.status != "cancelled"  # the slot stays taken
        entries = (await s.exec(select(OperationLog).where(OperationLog.action.startswith("citizen.")))).all()
        links = (await (await s.connection()).execute(sa.select(sa.func.count()).select_from(
            RichMenuUserLink.__table__))).scalar_one()  # type: ignore[attr-defined]
    assert links == 0
    assert len(entries) == 1 and entries[0].action == "citizen.erase" and entries[0].target_id == str(citizen_id)
    logged = f"{entries[0].before}{entries[0].after}"
    for secret in (USER, NAME, PHONE, SAID, "鈴木"):
        assert secret not in logged
    assert '"talk_entry": {"delete": 1}' in logged

    r = await client.delete(path, headers=headers["admin"], params={"confirm": token})
    assert r.status == 404  # erased: the id no longer names anybody


async def test_the_rich_menu_is_unlinked_at_line(env, aiohttp_client) -> None:
    """Through the publisher's LINE clients (linesim here): the user has no menu of their own any more."""
    db, clock = env.db, env.clock
    now = clock.now()
    async with db.write() as s:
        person = Citizen(channel_user_id=USER, display_name=NAME, created_at=now)
        s.add(person)
        s.add(RichMenuUserLink(account="production", channel_user_id=USER, line_rich_menu_id="richmenu-x",
                               segment_id="all", linked_at=now))
        await s.flush()
        citizen_id = person.id
    env.line.channel("production").user_rich_menus[USER] = "richmenu-x"
    publisher = RichMenuPublisher(db, clock, line_apis(env.line.sim), env.segments)

    async def no_inbox(_user: str, _apply: bool) -> int:
        return 0

    router = citizen_router(db, clock, erase_inbox=no_inbox, unlink=menu_unlinker(publisher))
    client = await aiohttp_client(create_admin_app(StaffAuthenticator(env.sessions), [router],
                                                   auditor=Auditor(db, clock)))
    headers = env.auth("admin")
    ask = await (await client.delete(f"/citizens/{citizen_id}", headers=headers)).json()
    assert USER in env.line.links("production")  # asking changes nothing, at LINE neither
    r = await client.delete(f"/citizens/{citizen_id}", headers=headers, params={"confirm": ask["confirm"]})
    assert r.status == 200 and (await r.json())["line_rich_menu"] == "done"
    assert USER not in env.line.links("production")
    assert ("DELETE", f"/v2/bot/user/{USER}/richmenu") in env.line.calls("production")
