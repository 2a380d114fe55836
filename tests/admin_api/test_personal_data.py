"""Issue #13: the 閲覧者 role (and any role without ``personal.view``) never sees a citizen's name,
phone number, e-mail address or LINE user id — in any listing of the staff API, CSV included. Built as
``serve`` builds it (the real roles, SudachiPy finding names in free text); one test per listing."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from admin_api.app import PREFIX
from bot.appkeys import CLOCK, DATABASE
from civic.booking.services import BookingService
from civic.deliveries.models import InboundMail
from civic.faq.services import record_answer, record_unanswered
from civic.reports.services import Staff, change_status, submit_report
from civic.staff.services import create_staff
from civic.talklog.models import TalkEntry
from tests.booking.town import citizen

USER = "U" + "c" * 32
NAME, PHONE, MAIL = "山田 花子", "090-1234-5678", "hanako@example.jp"
SAID = f"山田花子です。{PHONE} か {MAIL} に連絡ください"
PASSWORD = "staff-pass-2026"


class Api:
    def __init__(self, client, tokens: dict[str, str]) -> None:
        self.client, self.tokens = client, tokens

    async def get(self, role: str, path: str, **params) -> tuple[int, str]:
        r = await self.client.get(PREFIX + path, params=params,
                                  headers={"Authorization": f"Bearer {self.tokens[role]}"})
        return r.status, await r.text()


@pytest.fixture
async def api(service) -> Api:
    app, client, town = service.app, service.client, service.town
    db, clock = app[DATABASE], app[CLOCK]
    await BookingService(db, clock).reserve(town.request("gym.half-a", activity=SAID), citizen(USER, name=NAME,
                                                                                                 phone=PHONE))
    now = clock.now()
    async with db.write() as s:
        await record_unanswered(s, question=SAID, channel="production", candidates=[], now=now)
        await record_answer(s, entry_id="faq-001", question=SAID, channel="production", asker=USER, now=now)
        report = await submit_report(s, category="road_surface", description=SAID, latitude=35.0, longitude=135.0,
                                     reporter=USER, now=now)
        await change_status(s, report.id, "in_progress", note="山田様に電話済み", staff=Staff(1, "建設課"), now=now)
        s.add(TalkEntry(channel_user_id=USER, direction="in", kind="text", text=SAID, intent="nlu_fallback",
                        at=now - timedelta(hours=1)))
        s.add(InboundMail(sender=MAIL, subject=f"{NAME}さんより", body=SAID, via="upload", status="received",
                          received_at=now))
    tokens = {}
    for login, role in (("kanri", "admin"), ("etsuran", "viewer"), ("shisetsu", "facility")):
        await create_staff(db, clock, login, PASSWORD, login, role)
        r = await client.post(f"{PREFIX}/auth/login", json={"login": login, "password": PASSWORD})
        tokens[role] = (await r.json())["token"]
    r = await client.post(f"{PREFIX}/roles", headers={"Authorization": f"Bearer {tokens['admin']}"}, json={
        "key": "kansa", "name": "監査", "permissions": ["audit.view", "talklog.view", "*.read"]})
    await create_staff(db, clock, "kansa", PASSWORD, "監査", "kansa")
    r = await client.post(f"{PREFIX}/auth/login", json={"login": "kansa", "password": PASSWORD})
    tokens["auditor"] = (await r.json())["token"]
    return Api(client, tokens)


def hidden(text: str) -> None:
    for secret in (NAME, "山田花子", "山田", PHONE, MAIL, USER):
        assert secret not in text, secret


def shown(text: str) -> None:
    assert PHONE in text and ("山田" in text)


async def _both(api: Api, path: str, roles=("viewer",), **params) -> None:
    for role in roles:
        status, text = await api.get(role, path, **params)
        assert status == 200, (role, path, text)
        hidden(text)
    status, text = await api.get("admin", path, **params)
    assert status == 200
    shown(text)


async def test_bookings(api: Api) -> None:
    await _both(api, "/bookings", roles=("viewer", "auditor"))
    status, text = await api.get("facility", "/bookings")  # 施設担当 handles bookings by phone: it sees them
    assert status == 200 and NAME in text and PHONE in text


async def test_bookings_list_csv(api: Api) -> None:
    await _both(api, "/bookings/list.csv", roles=("viewer", "auditor"), day="2026-12-05")
    _, text = await api.get("viewer", "/bookings/list.csv", day="2026-12-05")
    row = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1]
    assert row[8:10] == ["＊＊＊", "＊＊＊"]


async def test_faq_unanswered_questions(api: Api) -> None:
    await _both(api, "/faq/unanswered", roles=("viewer", "auditor"))
    _, text = await api.get("viewer", "/faq/unanswered")
    assert "です。" in text and "に連絡ください" in text  # the question stays useful for triage


async def test_faq_answer_log(api: Api) -> None:
    await _both(api, "/faq/answers", roles=("viewer", "auditor"))


async def test_stats_unanswered_and_its_csv(api: Api) -> None:
    await _both(api, "/stats/unanswered", roles=("viewer", "auditor"))
    await _both(api, "/stats/unanswered.csv", roles=("viewer", "auditor"))


async def test_reports(api: Api) -> None:
    await _both(api, "/reports", roles=("viewer", "auditor"))
    _, listing = await api.get("admin", "/reports")
    report_id = json.loads(listing)["items"][0]["id"]
    await _both(api, f"/reports/{report_id}", roles=("viewer", "auditor"))


async def test_talk_log_and_its_csv(api: Api) -> None:
    await _both(api, "/talk-logs", roles=("auditor",))
    await _both(api, "/talk-logs.csv", roles=("auditor",))
    status, text = await api.get("auditor", "/talk-logs", text="山田")  # no probing masked words by search
    assert status == 200 and json.loads(text)["items"] == []
    status, text = await api.get("admin", "/talk-logs", text="山田")
    assert len(json.loads(text)["items"]) == 1


async def test_operation_log_and_its_csv(api: Api) -> None:
    """The booking a staff member changed is in the log with its applicant: masked for the auditor."""
    status, text = await api.get("admin", "/bookings")
    booking = json.loads(text)["items"][0]
    r = await api.client.patch(f"{PREFIX}/bookings/{booking['id']}", json={"people": 12, "reason": "人数の訂正"},
                               headers={"Authorization": f"Bearer {api.tokens['admin']}"})
    assert r.status == 200
    await _both(api, "/operation-logs", roles=("auditor",), action="booking.")
    await _both(api, "/operation-logs.csv", roles=("auditor",))


async def test_received_mails(api: Api) -> None:
    """Mail to LINE keeps the sender's address and text: masked without personal.view."""
    status, text = await api.get("viewer", "/mails")
    assert status == 200
    hidden(text)
    _, text = await api.get("admin", "/mails")
    assert MAIL in text and PHONE in text
