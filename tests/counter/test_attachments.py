"""Attachments of a 届書 (§(4) e, f; §(5) q, t, u, v): kept as PDF and masked PDF, encrypted as bytes;
the masked version has the numbers' pixels painted over (proved by drawing the PDF again and by OCR);
the role decides which version is served; reads are logged; masks changed by kind and by rectangle."""

from __future__ import annotations

import io
import json
import random
import re

import aiohttp
import pypdfium2 as pdfium
from PIL import Image
from sqlmodel import select

from civic.counter import attachments
from civic.counter.models import CounterAttachment
from civic.counter.ocr.engines import TesseractEngine
from civic.counter.ocr.layouts import load_dir
from civic.counter.ocr.reader import load, read_fields
from civic.counter.ocr.samples import distort, render, sample_values
from civic.staff.models import OperationLog
from tests.counter.conftest import TOWN, Counter, tennyu

LAYOUTS = load_dir(TOWN / "counter" / "layouts")


def _certificate() -> tuple[bytes, dict[str, str]]:
    """A fictitious 転出証明書 photographed (rotated, shifted, JPEG) and the values printed on it."""
    printed, truth = sample_values("tenshutsu", random.Random(23))
    return distort(render(LAYOUTS["midori-tenshutsu"], printed), random.Random(23)), truth


def _upload(data: bytes, kind: str, *, filename: str = "scan.jpg", content_type: str = "image/jpeg",
            **fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type=content_type)
    form.add_field("kind", kind)
    for name, value in fields.items():
        form.add_field(name, value)
    return form


def _drawn(pdf: bytes) -> Image.Image:
    """The PDF's first page drawn again by PDFium, as any reader would show it."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[0].render(scale=2).to_pil().convert("L")
    finally:
        doc.close()


def _mean(image: Image.Image, box: list[float]) -> float:
    left, top, width, height = box
    # the middle of the box (its edges meet the JPEG's blur)
    crop = image.crop((int((left + width * 0.1) * image.width), int((top + height * 0.2) * image.height),
                       int((left + width * 0.9) * image.width), int((top + height * 0.8) * image.height)))
    values = list(crop.get_flattened_data())
    return sum(values) / len(values)


async def _log(counter: Counter) -> list[OperationLog]:
    async with counter.db.read() as s:
        return list((await s.exec(select(OperationLog).order_by(OperationLog.id))).all())


async def test_a_scanned_certificate_is_kept_with_its_numbers_masked_from_the_layout(counter: Counter) -> None:
    made = await counter.call("POST", "/counter/forms", json=tennyu(), expect=201)
    scan, truth = _certificate()
    att = await counter.call("POST", f"/counter/forms/{made['id']}/attachments", expect=201,
                             data=_upload(scan, "tenshutsu", layout="midori-tenshutsu", note="本人持参"))
    assert att["kind_label"] == "転出証明書" and att["layout"] == "midori-tenshutsu" and att["pages"] == 1
    assert {r["kind"] for r in att["auto"]} == {"resident_code"} and len(att["auto"]) == 2  # both members
    assert att["kinds"] == list(attachments.MASK_KINDS) and att["versions"] == ["masked", "full"]
    base = f"/counter/forms/{made['id']}/attachments/{att['id']}"
    full = await counter.call("GET", f"{base}.pdf?version=full", expect=200)
    masked = await counter.call("GET", f"{base}.pdf", expect=200)
    assert full.startswith(b"%PDF") and masked.startswith(b"%PDF") and full != masked
    # Drawn again, the boxes over the 住民票コード are black in the masked PDF and not in the full one.
    for rect in att["auto"]:
        assert _mean(_drawn(masked), rect["box"]) < 10
        assert _mean(_drawn(full), rect["box"]) > 150
    # No text is hidden under the boxes: the masked PDF is images only, and OCR finds no number there.
    assert truth["resident_code"].encode() not in masked and pdfium.PdfDocument(masked)[0].get_textpage().get_text_range() == ""
    png = io.BytesIO()
    _drawn(masked).save(png, "PNG")
    read = read_fields(load(png.getvalue()), LAYOUTS["midori-tenshutsu"], TesseractEngine())
    for key in ("resident_code", "resident_code2"):  # a speck at the box's edge may be read, not the number
        assert truth[key] not in read[key].value and len(re.sub(r"\D", "", read[key].value)) <= 2, read[key]
    assert read["name"].value  # the rest is still there to read


async def test_the_role_decides_the_version_and_every_read_is_logged(counter: Counter) -> None:
    made = await counter.call("POST", "/counter/forms", json=tennyu(), expect=201)
    scan, _ = _certificate()
    att = await counter.call("POST", f"/counter/forms/{made['id']}/attachments", who="madoguchi", expect=201,
                             data=_upload(scan, "tenshutsu", layout="midori-tenshutsu"))
    assert att["versions"] == ["masked"] and att["created_by"] == "madoguchi"
    base = f"/counter/forms/{made['id']}/attachments/{att['id']}"
    before = len([e for e in await _log(counter) if e.action == "read.counter_forms"])
    refused = await counter.call("GET", f"{base}.pdf?version=full", who="madoguchi", expect=403)
    assert refused["error"]["field"] == "version" and "counter.numbers" in refused["error"]["message"]
    assert (await counter.call("GET", f"{base}/pages/0.png?version=full", who="madoguchi", expect=403))
    masked = await counter.call("GET", f"{base}.pdf?version=masked", who="madoguchi", expect=200)
    assert masked == await counter.call("GET", f"{base}.pdf", expect=200)
    page = await counter.call("GET", f"{base}/pages/0.png", who="madoguchi", expect=200)
    assert Image.open(io.BytesIO(page)).width == 900
    listed = await counter.call("GET", f"/counter/forms/{made['id']}/attachments", who="madoguchi", expect=200)
    assert [a["id"] for a in listed] == [att["id"]]
    reads = [e for e in await _log(counter) if e.action == "read.counter_forms"]
    assert len(reads) - before == 4  # the masked PDF twice (two staff), the page, the list: refusals are not reads
    assert sorted(e.staff_login for e in reads[before:]) == ["kanri", "madoguchi", "madoguchi", "madoguchi"]


async def test_a_power_of_attorney_as_pdf_is_masked_by_the_rectangles_staff_draw(counter: Counter) -> None:
    made = await counter.call("POST", "/counter/forms", json=tennyu(), expect=201)
    page = Image.new("RGB", (1240, 1754), "white")
    page.paste((0, 0, 0), (200, 300, 900, 380))  # "the 個人番号 line" of a 委任状 (dark ink)
    upload = io.BytesIO()
    page.save(upload, "PDF", resolution=150)
    att = await counter.call("POST", f"/counter/forms/{made['id']}/attachments", expect=201,
                             data=_upload(upload.getvalue(), "ininjo", filename="ininjo.pdf",
                                          content_type="application/pdf", note="代理人 山田一郎"))
    assert att["auto"] == [] and att["drawn"] == [] and att["note"] == "代理人 山田一郎"
    base = f"/counter/forms/{made['id']}/attachments/{att['id']}"
    box = [0.1, 0.1, 0.3, 0.05]
    assert _mean(_drawn(await counter.call("GET", f"{base}.pdf", expect=200)), box) > 200
    changed = await counter.call("PATCH", base, expect=200, json={"kinds": ["individual_number"],
                                                                  "rects": [{"page": 0, "box": box}]})
    assert changed["drawn"] == [{"page": 0, "box": box, "kind": "rect"}] and changed["kinds"] == ["individual_number"]
    assert _mean(_drawn(await counter.call("GET", f"{base}.pdf", expect=200)), box) < 10
    assert _mean(_drawn(await counter.call("GET", f"{base}.pdf?version=full", expect=200)), box) > 200
    bad = await counter.call("PATCH", base, expect=422, json={"kinds": [], "rects": [{"page": 1, "box": box}]})
    assert bad["error"]["field"] == "rects.0.page"
    bad = await counter.call("PATCH", base, expect=422, json={"kinds": [], "rects": [{"page": 0, "box": [0.9, 0, 0.5, 0.1]}]})
    assert bad["error"]["field"] == "rects.0.box"
    bad = await counter.call("PATCH", base, expect=422, json={"kinds": ["address"], "rects": []})
    assert bad["error"]["field"] == "kinds"


def _ininjo() -> bytes:
    """A 委任状 with a 個人番号, a 住民票コード, a 在留カード番号 and a phone number."""
    from PIL import ImageDraw, ImageFont

    from civic.counter.ocr.samples import font_path

    font = ImageFont.truetype(font_path("mincho"), 34)
    page = Image.new("RGB", (1654, 1200), "white")
    draw = ImageDraw.Draw(page)
    for y, text in ((150, "委　任　状"), (300, "代理人　山田一郎　電話 092-123-4567"), (400, "委任者の個人番号　1234 5678 9018"),
                    (500, "住民票コード　12345678903"), (600, "在留カード番号　AB12345678CD")):
        draw.text((150, y), text, font=font, fill="black")
    out = io.BytesIO()
    page.save(out, "PNG")
    return out.getvalue()


async def test_numbers_on_a_paper_without_a_layout_are_found_by_ocr_and_masked_by_kind(counter: Counter) -> None:
    made = await counter.call("POST", "/counter/forms", json=tennyu(), expect=201)
    att = await counter.call("POST", f"/counter/forms/{made['id']}/attachments", expect=201,
                             data=_upload(_ininjo(), "ininjo", filename="ininjo.png", content_type="image/png",
                                          search="1"))
    kinds = {r["kind"] for r in att["auto"]}
    assert kinds == {"individual_number", "resident_code", "card_number"}  # (the phone may be masked too: by length)
    base = f"/counter/forms/{made['id']}/attachments/{att['id']}"
    masked = _drawn(await counter.call("GET", f"{base}.pdf", expect=200))
    assert all(_mean(masked, r["box"]) < 10 for r in att["auto"])
    # Only the 住民票コード hidden now: the 個人番号 shows again, from the full version kept.
    await counter.call("PATCH", base, expect=200, json={"kinds": ["resident_code"], "rects": []})
    masked = _drawn(await counter.call("GET", f"{base}.pdf", expect=200))
    for r in att["auto"]:
        assert (_mean(masked, r["box"]) < 10) == (r["kind"] == "resident_code"), r
    # The 個人番号 line (at 400 of 1200 px) is among what was found.
    assert any(r["kind"] == "individual_number" and r["box"][1] < 400 / 1200 < r["box"][1] + r["box"][3]
               for r in att["auto"])
    # Without search=1 nothing is looked for (a paper without a layout is masked by hand).
    plain = await counter.call("POST", f"/counter/forms/{made['id']}/attachments", expect=201,
                               data=_upload(_ininjo(), "ininjo", filename="ininjo.png", content_type="image/png"))
    assert plain["auto"] == []


async def test_uploads_are_checked_and_stored_as_encrypted_bytes(counter: Counter) -> None:
    made = await counter.call("POST", "/counter/forms", json=tennyu(), expect=201)
    path = f"/counter/forms/{made['id']}/attachments"
    bad = await counter.call("POST", path, expect=422, data=_upload(b"GIF89a not really", "other"))
    assert bad["error"]["field"] == "file"
    bad = await counter.call("POST", path, expect=422, data=_upload(b"%PDF-1.4 broken", "other"))
    assert bad["error"]["field"] == "file"
    bad = await counter.call("POST", path, expect=422, data=_upload(_certificate()[0], "passport"))
    assert bad["error"]["field"] == "kind"
    bad = await counter.call("POST", path, expect=422, data=_upload(_certificate()[0], "ininjo", layout="card-zairyu"))
    assert bad["error"]["field"] == "layout"
    await counter.call("POST", "/counter/forms/999999/attachments", expect=404, data=_upload(_certificate()[0], "other"))
    card = render(LAYOUTS["card-zairyu"], sample_values("zairyu", random.Random(5))[0])
    png = io.BytesIO()
    card.save(png, "PNG")
    att = await counter.call("POST", path, expect=201, data=_upload(png.getvalue(), "zairyu", content_type="image/png"))
    assert att["layout"] == "card-zairyu" and [r["kind"] for r in att["auto"]] == ["card_number"]  # a card: its own layout
    async with counter.db.read() as s:
        row = (await s.exec(select(CounterAttachment).where(CounterAttachment.id == att["id"]))).one()
        assert row.full.startswith(b"%PDF") and att["size"] == row.size
    # At rest: the column holds the sealed bytes (no base64), 40 bytes more than the PDF.
    async with counter.db.engine.connect() as conn:
        raw = (await conn.exec_driver_sql(f'SELECT "full", masked FROM counter_attachment WHERE id = {att["id"]}')).one()
    assert bytes(raw[0])[:3] == b"v1." and b"%PDF" not in bytes(raw[0])
    assert len(bytes(raw[0])) == len(row.full) + 40 and len(bytes(raw[1])) == len(row.masked) + 40
    await counter.call("GET", f"{path}/{att['id']}/pages/3.png", expect=404)
    await counter.call("GET", f"/counter/forms/{made['id'] + 1}/attachments/{att['id']}.pdf", expect=404)
    assert att["filename"] == "scan.jpg"


async def test_an_attachment_is_deleted_until_the_form_is_finished(counter: Counter) -> None:
    made = await counter.call("POST", "/counter/forms", json=tennyu(), expect=201)
    path = f"/counter/forms/{made['id']}/attachments"
    card = render(LAYOUTS["card-menkyo"], sample_values("menkyo", random.Random(5))[0])
    png = io.BytesIO()
    card.save(png, "PNG")
    first, second = [await counter.call("POST", path, expect=201, data=_upload(png.getvalue(), "menkyo", note=n,
                                                                                content_type="image/png"))
                     for n in ("間違い", "残す")]
    await counter.call("DELETE", f"/counter/forms/{made['id'] + 1}/attachments/{first['id']}", expect=404)
    await counter.call("DELETE", f"{path}/{first['id']}", who="madoguchi", expect=200)  # 窓口担当 holds counter.write
    assert [a["id"] for a in await counter.call("GET", path)] == [second["id"]]
    await counter.call("GET", f"{path}/{first['id']}.pdf", expect=404)
    await counter.call("DELETE", f"{path}/{first['id']}", expect=404)
    entry = [e for e in await _log(counter) if e.action == "counter.attachment.delete"]
    assert len(entry) == 1 and entry[0].target_id == str(made["id"]) and entry[0].staff_login == "madoguchi"
    before = entry[0].before or ""
    assert json.loads(before)["attachment"] == first["id"] and "間違い" not in before  # no note, no file
    await counter.call("PATCH", f"/counter/forms/{made['id']}", json={"status": "review"}, expect=200)
    await counter.call("PATCH", f"/counter/forms/{made['id']}", json={"status": "done"}, expect=200)
    refused = (await counter.call("DELETE", f"{path}/{second['id']}", expect=409))["error"]
    assert refused["message"] == "完了した届書の添付書類は削除できません。" and refused["field"] == "status"
    assert [a["id"] for a in await counter.call("GET", path)] == [second["id"]]


async def test_the_openapi_document_names_the_routes_and_their_permissions(counter: Counter) -> None:
    paths = (await counter.call("GET", "/openapi.json", expect=200))["paths"]
    base = "/admin/api/v1/counter/forms/{id}/attachments"
    assert paths[base]["post"]["x-permission"] == "counter.write" and paths[base]["get"]["x-permission"] == "counter.read"
    assert paths[base + "/{att}"]["patch"]["x-permission"] == "counter.write"
    assert paths[base + "/{att}"]["delete"]["x-permission"] == "counter.write"
    assert paths[base + "/{att}.pdf"]["get"]["x-permission"] == "counter.read"
    assert "counter.numbers" in paths[base + "/{att}.pdf"]["get"]["summary"]


def test_fields_map_to_masking_kinds() -> None:
    assert attachments.field_kind("resident_code2") == "resident_code"
    assert attachments.field_kind("individual_number") == "individual_number"
    assert attachments.field_kind("name") is None
