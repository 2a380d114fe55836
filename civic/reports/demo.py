"""The demo town's road-damage reports (酒田市 1(6)): a handful of fictitious reports in several states,
so that the console's 通報 page shows what a town's inbox looks like — markers on the map, a photo, a
history with notes, a duplicate, an assigned department. Seeded once; a restarted demo adds nothing."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from PIL import Image, ImageDraw, ImageFilter
from sqlmodel import select

from civic.clock import Clock
from civic.database import Database
from civic.reports.models import DONE, DUPLICATE, IN_PROGRESS, Report, ReportStatusChange
from civic.reports.photos import sanitize
from civic.reports.services import store_draft_photo, submit_report

OWNER = "demo"


@dataclass(frozen=True)
class DemoReport:
    category: str
    description: str
    latitude: float
    longitude: float
    address: str
    days_ago: int
    #: (status, note, staff) after receipt, in order
    steps: tuple[tuple[str, str, str], ...] = ()
    department: str = ""
    photo: bool = False


REPORTS = (
    DemoReport("road_surface", "交差点の手前のアスファルトに直径30cmほどの穴があり、自転車が避けて通っています。",
               34.98985, 135.01862, "みどり町本郷東3丁目（本郷東の交差点付近）", 9,
               ((IN_PROGRESS, "現地を確認しました。今週中に応急の補修を行います。", "建設課 田中"),
                (DONE, "穴を補修しました。ご連絡ありがとうございました。", "建設課 田中")),
               department="建設課", photo=True),
    DemoReport("street_light", "中央公園の東側入口の街灯が、3日ほど前から夜になっても点きません。",
               34.99795, 135.00530, "みどり町中央3丁目（中央公園 東口）", 4,
               ((IN_PROGRESS, "電気工事業者に修理を依頼しました。部品の取り寄せに1週間ほどかかります。", "建設課 佐々木"),),
               department="建設課"),
    DemoReport("park_equipment", "中央公園のブランコの鎖が片方外れかけていて、子どもが乗ると危ないです。",
               34.99770, 135.00470, "みどり町中央3丁目（中央公園）", 2, department="都市整備課", photo=True),
    DemoReport("illegal_dumping", "北原小学校の裏の農道に、古いテレビとタイヤが捨てられています。",
               35.02590, 135.00470, "みどり町北原（北原小学校の裏）", 1),
    DemoReport("guardrail", "駅前ロータリーのカーブミラーが車にぶつけられたのか、向きが変わって見えにくくなっています。",
               35.00372, 134.99700, "みどり町駅前2丁目（みどり駅前ロータリー）", 6,
               ((IN_PROGRESS, "本日、向きを直す作業の日程を調整しています。", "建設課 田中"),), department="建設課"),
    DemoReport("road_surface", "本郷東の交差点の近く、歩道の段差でつまずきそうになりました。",
               34.98995, 135.01870, "みどり町本郷東3丁目", 8,
               ((DUPLICATE, "同じ場所の通報（先に受け付けたもの）とあわせて対応します。", "建設課 田中"),)),
    DemoReport("road_surface", "役場の前の道路の側溝のふたがガタガタ鳴ります。", 35.00055, 135.00140,
               "みどり町中央1丁目（役場前）", 0),
)


def demo_photo(seed: int) -> bytes:
    """A drawn picture of damage (asphalt and a dark hole or a bent bar): fictitious, no one's photo."""
    image = Image.new("RGB", (800, 600), (118, 118, 112))
    draw = ImageDraw.Draw(image)
    for i in range(0, 800, 7):  # the grain of the asphalt
        draw.line([(i, 0), (i + 60 * ((seed + i) % 3 - 1), 600)], fill=(108 + i % 17, 108 + i % 13, 102), width=2)
    draw.rectangle([0, 470, 800, 490], fill=(232, 232, 220))  # a white road line
    if seed % 2:
        draw.ellipse([270, 230, 560, 390], fill=(44, 40, 36), outline=(80, 76, 70), width=8)
    else:
        draw.rectangle([180, 120, 640, 150], fill=(180, 40, 30))  # the seat of a swing
        draw.line([(200, 0), (230, 120)], fill=(90, 90, 90), width=6)
        draw.line([(620, 0), (560, 60)], fill=(90, 90, 90), width=6)  # the loose chain
    buffer = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(1)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


async def seed_demo_reports(db: Database, clock: Clock) -> int:
    """The demo's reports, once (nothing when the town already has reports). Returns how many were made."""
    now = clock.now()
    async with db.write() as session:
        if (await session.exec(select(Report.id).limit(1))).first() is not None:
            return 0
        made: list[Report] = []
        for number, demo in enumerate(REPORTS):
            at = now - timedelta(days=demo.days_ago, hours=3 + number)
            photo_id = None
            if demo.photo:
                photo = await store_draft_photo(session, OWNER, sanitize(demo_photo(number)), at)
                photo_id = photo.id
            report = await submit_report(
                session, category=demo.category, description=demo.description, latitude=demo.latitude,
                longitude=demo.longitude, address=demo.address, location_source="line", reporter=None,
                photo_id=photo_id, now=at)
            assert report.id is not None
            status = report.status
            for step, (to_status, note, staff) in enumerate(demo.steps, start=1):
                if to_status == DUPLICATE:
                    report.duplicate_of = made[0].id
                session.add(ReportStatusChange(report_id=report.id, from_status=status, to_status=to_status,
                                               note=note, staff_name=staff, at=at + timedelta(days=step)))
                status = to_status
            report.status, report.department = status, demo.department
            report.updated_at = at + timedelta(days=len(demo.steps))
            session.add(report)
            made.append(report)
        return len(made)
