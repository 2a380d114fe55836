"""``GET /citizens/search``: the 個人データ削除 screen finds the citizen by number, LINE user id or part
of the display name (stored encrypted); only those who may erase; every search recorded."""

from __future__ import annotations

import json

import sqlalchemy as sa

from admin_api.app import PREFIX
from admin_api.citizen_search_views import LIMIT
from bot.appkeys import CLOCK, DATABASE
from civic.booking.models import BookerProfile
from civic.citizens.models import Citizen
from civic.staff.models import OperationLog
from civic.staff.services import create_staff

PASSWORD = "staff-pass-2026"


async def _people(service) -> tuple[list[int], dict[str, dict[str, str]]]:
    db, clock, client = service.app[DATABASE], service.app[CLOCK], service.client
    now = clock.now()
    async with db.write() as s:
        people = [Citizen(channel_user_id=f"U{i:032x}", display_name=name, created_at=now, followed_at=now)
                  for i, name in enumerate(["山田 花子", "山田太郎", "佐藤 一郎", None])]
        people += [Citizen(channel_user_id=f"U{100 + i:032x}", display_name=f"ｽｽﾞｷ {i}", created_at=now)
                   for i in range(LIMIT + 1)]
        s.add_all(people)
        # the name staff hear is often only in the booking profile (LINE display names are nicknames)
        s.add(BookerProfile(channel_user_id=f"U{3:032x}", name="高橋 三郎", phone="090-1234-5678",
                           created_at=now, updated_at=now))
        await s.flush()
        ids = [p.id for p in people]
    headers = {}
    for login, role in (("kanri", "admin"), ("shisetsu", "facility")):
        await create_staff(db, clock, login, PASSWORD, login, role)
        r = await client.post(f"{PREFIX}/auth/login", json={"login": login, "password": PASSWORD})
        headers[role] = {"Authorization": f"Bearer {(await r.json())['token']}"}
    return ids, headers


async def _search(service, q: str, headers: dict[str, str]) -> dict:
    r = await service.client.get(f"{PREFIX}/citizens/search", params={"q": q}, headers=headers)
    assert r.status == 200, await r.text()
    return await r.json()


async def test_found_by_name_number_and_line_user_id(service) -> None:
    ids, headers = await _people(service)
    admin = headers["admin"]
    found = await _search(service, "山田", admin)
    assert [c["display_name"] for c in found["items"]] == ["山田太郎", "山田 花子"] and not found["more"]
    assert [c["id"] for c in (await _search(service, "山田花子", admin))["items"]] == [ids[0]]  # spaces ignored
    assert (await _search(service, str(ids[2]), admin))["items"][0]["display_name"] == "佐藤 一郎"
    one = (await _search(service, f"U{3:032x}", admin))["items"]
    assert [(c["id"], c["display_name"], c["is_friend"], c["matched"]) for c in one] == [
        (ids[3], None, True, "LINE ユーザーID")]
    for q, matched in (("高橋三郎", "予約者の氏名"), ("09012345678", "予約者の電話番号"), ("０９０-１２３４-５６７８", "予約者の電話番号")):
        assert [(c["id"], c["matched"]) for c in (await _search(service, q, admin))["items"]] == [(ids[3], matched)], q
    many = await _search(service, "スズキ", admin)  # widths folded: ｽｽﾞｷ
    assert len(many["items"]) == LIMIT and many["more"] is True
    assert (await _search(service, "いない人", admin)) == {"items": [], "more": False}


async def test_only_those_who_may_erase_and_every_search_is_recorded(service) -> None:
    _, headers = await _people(service)
    r = await service.client.get(f"{PREFIX}/citizens/search", params={"q": "山田"}, headers=headers["facility"])
    assert r.status == 403
    r = await service.client.get(f"{PREFIX}/citizens/search", params={"q": ""}, headers=headers["admin"])
    assert r.status == 422 and (await r.json())["error"]["field"] == "q"
    await _search(service, "山田", headers["admin"])
    async with service.app[DATABASE].read() as s:
        (entry,) = (await s.exec(sa.select(OperationLog).where(OperationLog.action == "read.citizens"))).scalars().all()
    assert entry.staff_login == "kanri" and json.loads(entry.after)["query"] == {"q": "山田"}
