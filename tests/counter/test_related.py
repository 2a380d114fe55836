"""Related application forms from a 届書 (§(4) c–g, §(5) o, r, w): the town's Excel templates filled,
kept as xlsx and PDF (full and masked), which templates a role may make, and the API."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from civic.counter.forms import normalise
from civic.counter.pdf import MASK
from civic.counter.related import Request, fill, load_templates, make
from tests.counter.conftest import TOWN, Counter, tennyu

TEMPLATES = load_templates(TOWN / "counter" / "related")


def _doc() -> dict:
    body = tennyu()
    return normalise(body["kind"], body["household"], body["members"])


def test_the_demo_ships_twenty_templates_each_filling_without_error() -> None:
    assert len(TEMPLATES) >= 20
    for template in TEMPLATES.values():
        book = fill(template, _doc(), number="R8-000001", request=Request(0, 2, "年金の手続き"),
                    today=date(2026, 12, 4), masked=False)
        sheet = book.active
        assert sheet[next(ref for ref, item in template.cells.items() if item == "applicant.name")].value == "山田太郎"


def test_copies_purpose_members_and_masking() -> None:
    doc = _doc()
    files = make(TEMPLATES["juminhyo"], doc, number="R8-000001", request=Request(1, 3, "就学の手続き"),
                 today=date(2026, 12, 4))
    sheet = load_workbook(io.BytesIO(files["xlsx"])).active
    values = {c.value for row in sheet.iter_rows() for c in row if c.value}
    assert {"山田花子", "3通", "就学の手続き", "令和8年12月4日", "R8-000001", "山田太郎", "令和4年12月1日"} <= values
    assert files["pdf"].startswith(b"%PDF") and files["pdf_masked"].startswith(b"%PDF")
    card = make(TEMPLATES["mynumber-card"], doc, number="R8-000001", request=Request(), today=date(2026, 12, 4))
    plain = {c.value for row in load_workbook(io.BytesIO(card["xlsx"])).active.iter_rows() for c in row}
    hidden = {c.value for row in load_workbook(io.BytesIO(card["xlsx_masked"])).active.iter_rows() for c in row}
    assert "123456789018" in plain and "123456789018" not in hidden and MASK in hidden


async def test_the_api_by_role(counter: Counter) -> None:
    made = await counter.call("POST", "/counter/forms", json=tennyu(), expect=201)
    base = f"/counter/forms/{made['id']}/related"
    as_counter = await counter.call("GET", base, who="madoguchi", expect=200)
    as_admin = await counter.call("GET", base, expect=200)
    keys = {t["key"] for t in as_counter["templates"]}
    assert "juminhyo" in keys and "zei-shomei" not in keys  # 税証明: the admin role only in the demo
    assert {t["key"] for t in as_admin["templates"]} >= keys | {"zei-shomei"}
    await counter.call("POST", base, who="madoguchi", json={"template": "zei-shomei"}, expect=403)
    await counter.call("POST", base, json={"template": "nothing"}, expect=422)
    await counter.call("POST", base, json={"template": "juminhyo", "applicant": 5}, expect=422)
    created = await counter.call("POST", base, who="madoguchi",
                                 json={"template": "juminhyo", "copies": 2,
                                       "purpose": "児童手当"}, expect=201)
    pdf = await counter.call("GET", f"{base}/{created['pdf']['id']}", who="madoguchi", expect=200)
    assert pdf.startswith(b"%PDF")
    xlsx = await counter.call("GET", f"{base}/{created['xlsx']['id']}", expect=200)
    assert "2通" in {c.value for row in load_workbook(io.BytesIO(xlsx)).active.iter_rows() for c in row}
    card = await counter.call("POST", base, json={"template": "mynumber-card"}, expect=201)
    masked = await counter.call("GET", f"{base}/{card['xlsx']['id']}", who="madoguchi", expect=200)
    assert "123456789018" not in {c.value for row in load_workbook(io.BytesIO(masked)).active.iter_rows() for c in row}
    listed = await counter.call("GET", base, expect=200)
    assert len(listed["made"]) == 4
    await counter.call("GET", f"/counter/forms/{made['id']}/related/999999", expect=404)
    form = await counter.call("GET", f"/counter/forms/{made['id']}", expect=200)
    assert {d["kind"] for d in form["documents"]} >= {"related", "related-xlsx"}
