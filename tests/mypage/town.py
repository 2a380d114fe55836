"""A small town for the my-page tests: two LINE citizens (alice, bob) with notices, a report each
(with a staff note sent to the reporter), saved to-dos; facilities for bookings (``tests.booking.town``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from civic.citizens.models import Citizen
from civic.database import Database
from civic.mypage import sections
from civic.mypage.deliveries import record_notices
from civic.reports.models import DONE, RECEIVED, Report, ReportStatusChange
from civic.rows import pk
from tests.booking.town import Town, build_town

ALICE, BOB = "Ualice0000000000000000000000000001", "Ubob00000000000000000000000000002"


@dataclass
class MyTown:
    town: Town
    alice: int
    bob: int
    alice_report: int
    bob_report: int


async def add_citizen(s, user: str, now) -> int:
    c = Citizen(channel_user_id=user, is_friend=True, created_at=now)
    s.add(c)
    await s.flush()
    return pk(c)


async def build(db: Database, *, notices: int = 3, reports: int = 1, users: tuple[str, str] = (ALICE, BOB),
                town: Town | None = None) -> MyTown:
    alice_user, bob_user = users
    town = town or await build_town(db)
    now = town.clock.now()
    async with db.write() as s:
        alice, bob = await add_citizen(s, alice_user, now), await add_citizen(s, bob_user, now)
        for i in range(notices):
            await record_notices(s, now - timedelta(hours=notices - i), [alice_user], kind="delivery", ref=f"run:{i}",
                                 title=f"お知らせ{i + 1}", body=f"アリスへのお知らせ本文{i + 1}")
        await record_notices(s, now, [bob_user], kind="delivery", ref="run:b", title="ボブのお知らせ", body="ボブ宛")
        ids = []
        for who, cid in ((alice_user, alice), (bob_user, bob)):
            for n in range(reports):
                r = Report(receipt_no=f"R-{cid}-{n}", category="road", description=f"{who[:4]}の通報{n}",
                           latitude=35.0, longitude=139.0, address="本町1丁目", status=DONE, reporter=who,
                           citizen_id=cid, created_at=now, updated_at=now)
                s.add(r)
                await s.flush()
                s.add(ReportStatusChange(report_id=pk(r), to_status=RECEIVED, note="内部メモ", notified=False, at=now))
                s.add(ReportStatusChange(report_id=pk(r), from_status=RECEIVED, to_status=DONE,
                                         note="穴を補修しました", notified=True, at=now + timedelta(minutes=5)))
                ids.append(pk(r))
        for cid in (alice, bob):
            await sections.save_results(s, now, cid, "birth", "出生", [
                sections.SavedProcedure(1, "出生届", "市民課 1階", ("母子健康手帳",), "12月3日まで", date(2026, 12, 3)),
                sections.SavedProcedure(2, "児童手当の申請", "子育て支援課", ("通帳",), "15日以内", None)])
    return MyTown(town, alice, bob, ids[0], ids[-1])


def dumps(o) -> str:
    return json.dumps(o, ensure_ascii=False)
