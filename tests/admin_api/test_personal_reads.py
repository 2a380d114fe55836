"""Reads of personal data through the staff API are recorded (小郡市 8(2)c コ, PIA; issue #18): every
GET whose answer carries citizens' personal data is declared ``personal=…`` on its route, and a read
that showed the data as it is (the caller holds ``personal.view``) leaves exactly one ``read.<what>``
entry — who, when, what, from where. A masked read leaves none (``admin_api.routing``)."""

from __future__ import annotations

import json
import typing

from pydantic import BaseModel
from sqlmodel import select

from admin_api.app import PREFIX
from admin_api.keys import OPERATIONS
from bot.appkeys import CLOCK, DATABASE
from civic.booking.services import BookingService
from civic.staff.models import OperationLog
from civic.staff.services import create_staff
from tests.booking.town import citizen

#: Field names that carry a citizen's personal data in the staff API's answers.
PERSONAL_FIELDS = {"applicant_name", "applicant_phone", "channel_user_id", "user", "answers", "values", "sender",
                   "body", "photo_url", "before", "after", "question", "text", "description", "phone"}

#: GET routes whose answer has such a field name, or no model to look into (files, CSV, opaque JSON),
#: and still carry no citizen's personal data — each with the reason.
NOT_PERSONAL = {
    r"/handovers/{id:\d+}/messages": "new messages of an open conversation, polled every few seconds; "
                                     "opening the conversation (GET /handovers/{id}) is recorded",
    "/handovers/events": "a live stream of ids (which conversation has new messages), never their text",
    "/handover-templates": "reply templates staff wrote (text: the template's)",
    "/reports/templates": "response templates staff wrote for road-damage reports (text: the template's)",
    "/attributes": "the attributes' definitions",
    "/forms": "the forms' definitions",
    r"/forms/{form_id:\d+}": "a form's definition",
    r"/forms/{form_id:\d+}/tallies": "counts per answer, no one's answer",
    "/segments": "the segments' definitions",
    r"/segments/{segment_id:\d+}": "a segment's definition",
    "/recommendations": "おすすめ rules (a filter over attributes, no citizen)",
    r"/recommendations/{rule_id:\d+}": "an おすすめ rule",
    "/recommendations/counts": "how many citizens each rule reaches, never who",
    "/deliveries/import/template.csv": "an empty template",
    "/deliveries/history.csv": "counts per delivery run",
    "/mail-rules": "the rules (the town's own senders and subjects)",
    "/operation-logs.csv": "",  # marked; listed here only if not (see the test)
    "/stats/daily.csv": "counts per day",
    "/stats/usage.csv": "counts per intent",
    "/stats/richmenu-taps": "counts per area (text: the button's)",
    "/stats/richmenu-taps.csv": "counts per area",
    "/stats/charts/{metric:friends|follows-blocks|messages|active-users|fallback-rate|richmenu-taps}.png": "a chart",
    "/richmenus": "menus (text: the buttons')",
    r"/richmenus/{menu_id:\d+}": "a menu",
    r"/richmenus/{menu_id:\d+}/image": "a menu's image",
    "/facilities": "the town's facilities (phone: the facility's)",
    r"/facilities/{id:\d+}": "a facility",
    "/facilities.csv": "the facilities",
    "/facility-units.csv": "the facilities' units",
    "/bookings/counts.csv": "counts per year and condition",
    "/reports/geojson": "places, categories and states, no description or photo",
    "/faq/stats": "counts per FAQ entry (question: the entry's own)",
    "/faq/unanswered/count": "a count",
    "/shelters/import/template.csv": "an empty template",
    "/safety-checks": "安否確認 staff sent (question: the town's) and counts per answer",
    r"/safety-checks/{check_id:\d+}": "a 安否確認 and counts per answer and district",
    "/stats/monthly": "counts for a month (question: the FAQ entry's own)",
    "/stats/monthly.csv": "counts for a month",
    "/scenarios": "scenarios", r"/scenarios/{id:\d+}": "a scenario", r"/scenarios/{id:\d+}/export": "a scenario",
    "/faq/entries": "the town's FAQ", r"/faq/entries/{id:[A-Za-z0-9_.\-]+}": "an FAQ entry",
    "/faq/export": "the town's FAQ", "/faq/try": "the staff member's own test question and FAQ entries",
    "/content/status": "content versions",
    "/nlu/intents": "intent names and counts", "/nlu/examples": "training examples staff wrote",
    "/nlu/export": "the training data as Rasa YAML", "/nlu/retrains": "retrain figures",
    "/nlu/try": "the staff member's own test sentence",
    "/garbage/export": "the garbage dictionary", "/garbage/items": "the garbage dictionary",
    "/garbage/categories": "the garbage dictionary", "/garbage/try": "the dictionary's answer to a test word",
    "/procedures/events": "the 手続きナビ trees", r"/procedures/events/{code:[a-z][a-z0-9_]*}": "a 手続きナビ tree",
    r"/procedures/events/{code:[a-z][a-z0-9_]*}/preview": "the paths through a 手続きナビ tree",
    r"/procedures/events/{code:[a-z][a-z0-9_]*}/export": "a 手続きナビ tree",
}
NOT_PERSONAL.pop("/operation-logs.csv")


def _field_names(model: typing.Any, seen: set[type]) -> set[str]:
    if typing.get_origin(model) is not None:
        return set().union(*(_field_names(arg, seen) for arg in typing.get_args(model)))
    if not (isinstance(model, type) and issubclass(model, BaseModel)) or model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for f in model.model_fields.values():
        names |= _field_names(f.annotation, seen)
    return names


def _admin_operations(app) -> list:
    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        if sub is not None and OPERATIONS in sub:
            return sub[OPERATIONS]
    raise AssertionError("no staff API in the service")


async def test_every_get_answering_with_personal_data_is_declared(service) -> None:
    gets = [op for op in _admin_operations(service.app) if op.method == "GET" and not op.public]
    assert len(gets) > 50
    undeclared = []
    for op in gets:
        opaque = op.produces != "application/json" or not _field_names(op.response, set())
        carries = _field_names(op.response, set()) & PERSONAL_FIELDS
        if op.personal:
            assert op.path not in NOT_PERSONAL, op.path
        elif (opaque or carries) and op.path not in NOT_PERSONAL:
            undeclared.append((op.path, sorted(carries) or "no model"))
    assert not undeclared, f"declare personal=… on these routes (or say why not in NOT_PERSONAL): {undeclared}"
    declared = {op.path: op.personal for op in gets if op.personal}
    for path, what in {"/bookings": "bookings", "/bookers": "bookers", "/talk-logs": "talk_log",
                       "/talk-logs.csv": "talk_log", r"/citizens/{citizen_id:\d+}/attributes": "citizen_attributes",
                       r"/reports/{id:\d+}": "reports", r"/reports/{id:\d+}/photo": "report_photo",
                       r"/forms/{form_id:\d+}/answers.csv": "form_answers", "/bookings/list.csv": "bookings"}.items():
        assert declared.get(path) == what, path
    assert all(not op.personal for op in _admin_operations(service.app) if op.method != "GET")


async def _reads(db) -> list[OperationLog]:
    async with db.read() as s:
        return list((await s.exec(select(OperationLog).where(OperationLog.action.startswith("read."))  # type: ignore[union-attr]
                                  .order_by(OperationLog.id))).all())


async def test_an_unmasked_read_leaves_one_entry_and_a_masked_read_none(service) -> None:
    app, client, town = service.app, service.client, service.town
    db, clock = app[DATABASE], app[CLOCK]
    booked = await BookingService(db, clock).reserve(town.request("gym.half-a"),
                                                     citizen("U" + "d" * 32, name="山田 花子", phone="090-1234-5678"))
    tokens = {}
    for login, role in (("kanri", "admin"), ("etsuran", "viewer")):
        await create_staff(db, clock, login, "staff-pass-2026", login, role)
        r = await client.post(f"{PREFIX}/auth/login", json={"login": login, "password": "staff-pass-2026"})
        tokens[role] = {"Authorization": f"Bearer {(await r.json())['token']}",
                        "X-Forwarded-For": "203.0.113.9"}  # not believed: no trusted proxy

    r = await client.get(f"{PREFIX}/bookings", params={"q": "山田"}, headers=tokens["admin"])
    assert r.status == 200 and "山田 花子" in await r.text()
    (entry,) = await _reads(db)
    assert entry.action == "read.bookings" and entry.staff_login == "kanri" and entry.target_type == "bookings"
    assert entry.at == clock.now() and entry.remote == "127.0.0.1"
    assert json.loads(entry.after) == {"path": f"{PREFIX}/bookings", "query": {"q": "山田"}}

    r = await client.get(f"{PREFIX}/bookings/{booked.reservation_id}", headers=tokens["admin"])
    assert r.status == 200
    entries = await _reads(db)
    assert len(entries) == 2 and (entries[-1].target_type, entries[-1].target_id) == ("bookings", str(booked.reservation_id))

    # The viewer sees the same lists masked: no entry.
    for path in ("/bookings", f"/bookings/{booked.reservation_id}", "/bookers"):
        r = await client.get(PREFIX + path, headers=tokens["viewer"])
        assert r.status == 200 and "山田 花子" not in await r.text(), path
    assert len(await _reads(db)) == 2
    # A read that fails (not found, not allowed) shows nothing: no entry.
    assert (await client.get(f"{PREFIX}/bookings/999999", headers=tokens["admin"])).status == 404
    assert (await client.get(f"{PREFIX}/talk-logs", headers=tokens["viewer"])).status == 403
    assert len(await _reads(db)) == 2
    r = await client.get(f"{PREFIX}/bookers", headers=tokens["admin"])
    assert r.status == 200 and (await _reads(db))[-1].action == "read.bookers"
    assert len(await _reads(db)) == 3
