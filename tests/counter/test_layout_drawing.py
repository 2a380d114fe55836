"""様式の定義 (§(4) b イ): a definition drawn on a sample image, tried, saved, exported and imported.

The sample's frame is found by the reader's own function, so the regions drawn on it read later scans;
an imported definition is refused with the field named (``fields.3.box``)."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import aiohttp

from civic.counter.ocr.layouts import load_dir
from civic.counter.ocr.reader import document_frame
from civic.counter.ocr.samples import MARGIN, distort, render, sample_values
from tests.counter.conftest import TOWN, Counter

SHIPPED = load_dir(TOWN / "counter" / "layouts")["midori-tenshutsu"]


def _scan(seed: int) -> tuple[bytes, dict[str, str]]:
    printed, truth = sample_values("tenshutsu", random.Random(seed))
    return distort(render(SHIPPED, printed), random.Random(seed + 1)), truth


def _upload(image: bytes, definition: Any = None) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("image", image, filename="sample.jpg", content_type="image/jpeg")
    if definition is not None:
        form.add_field("definition", definition if isinstance(definition, str) else json.dumps(definition))
    return form


def _draft(key: str = "kurume-tenshutsu") -> dict[str, Any]:
    draft = SHIPPED.as_json()
    draft["key"], draft["name"] = key, "転出証明書（久留米市）"
    return draft


async def test_the_known_fields_are_listed_per_kind(counter: Counter) -> None:
    known = await counter.call("GET", "/counter/layout-fields", who="madoguchi", expect=200)
    names = {f["name"]: f for f in known["fields"]["tenshutsu"]}
    assert {"name", "kana", "birth_date", "address", "sex", "resident_code", "name2"} <= set(names)
    assert names["birth_date"]["type"] == "date" and names["birth_date"]["label"] == "生年月日"
    assert {f["name"] for f in known["fields"]["zairyu"]} >= {"card_number", "stay_status", "nationality"}
    assert known["types"]["card_number"].startswith("在留カード番号")


def test_document_frame_finds_the_drawn_frame() -> None:
    page = render(SHIPPED, sample_values("tenshutsu", random.Random(1))[0])
    _, frame = document_frame(page)
    w, h = page.size
    expected = (int(w * MARGIN), int(h * MARGIN), w - int(w * MARGIN), h - int(h * MARGIN))
    assert all(abs(a - b) <= 3 for a, b in zip(frame, expected, strict=True)), (frame, expected)


async def test_the_sample_frame_is_the_frame_the_reader_cuts(counter: Counter) -> None:
    image, _ = _scan(31)
    sample = await counter.call("POST", "/counter/layout-sample", data=_upload(image), expect=200)
    width, height = sample["size"]
    # The drawn document's frame has the definition's proportions, whatever the scan's tilt, margin and scale.
    assert abs(width / height - SHIPPED.size[0] / SHIPPED.size[1]) < 0.03, sample["size"]
    left, top, right, bottom = sample["frame"]
    assert (right - left, bottom - top) == (width, height)
    assert sample["image"].startswith("data:image/jpeg;base64,")
    assert (await counter.call("POST", "/counter/layout-sample", data=_upload(b"not an image"), expect=422)
            )["error"]["field"] == "image"
    await counter.call("POST", "/counter/layout-sample", data=_upload(image), who="madoguchi", expect=403)


async def test_a_draft_is_tried_on_the_sample_without_being_saved(counter: Counter) -> None:
    image, truth = _scan(41)
    read = await counter.call("POST", "/counter/layout-trial", data=_upload(image, _draft()), expect=200)
    assert read["layout"] == "kurume-tenshutsu" and read["fields"]["name"]["value"] == truth["name"]
    assert "kurume-tenshutsu" not in {r["key"] for r in await counter.call("GET", "/counter/layouts")}
    bad = _draft()
    bad["fields"][3]["box"] = [0.5, 0.5, 0.6, 0.1]
    error = (await counter.call("POST", "/counter/layout-trial", data=_upload(image, bad), expect=422))["error"]
    assert error["field"] == "fields.3.box" and "はみ出し" in error["message"]
    error = (await counter.call("POST", "/counter/layout-trial", data=_upload(image, "{"), expect=422))["error"]
    assert error["field"] == "definition"
    await counter.call("POST", "/counter/layout-trial", data=_upload(image, _draft()), who="madoguchi", expect=403)


async def test_an_imported_definition_is_refused_naming_the_field(counter: Counter) -> None:
    good = _draft()

    def broken(change: Any) -> dict[str, Any]:
        raw = copy.deepcopy(good)
        change(raw)
        return raw

    cases: list[tuple[Any, str, str]] = [
        (broken(lambda r: r["fields"][2].update(name="birthday")), "fields.2.name", "転出証明書の項目にありません"),
        (broken(lambda r: r["fields"][4].update(name="issuer")), "fields.4.name", "重複"),
        (broken(lambda r: r["fields"][0].update(type="number")), "fields.0.type", "type は"),
        (broken(lambda r: r["fields"][1].update(box=[0.1, 0.2, 0.3])), "fields.1.box", "[左, 上, 幅, 高さ]"),
        (broken(lambda r: r["fields"][1].update(box=[0.1, 0.2, 0.005, 0.05])), "fields.1.box", "小さすぎます"),
        (broken(lambda r: r["fields"][5].update(box=[0.9, 0.9, 0.5, 0.5])), "fields.5.box", "はみ出し"),
        (broken(lambda r: r["fields"][6].pop("name")), "fields.6.name", "英小文字"),
        (broken(lambda r: r.update(kind="passport")), "kind", "kind は"),
        (broken(lambda r: r.update(size=[1240])), "size", "[幅, 高さ]"),
        (broken(lambda r: r.update(fields=[])), "fields", "1〜80"),
        (broken(lambda r: r.update(name=" ")), "name", "名前"),
        (broken(lambda r: r.update(key="other-key")), "key", "URL の key"),
        # a zairyu definition may not use the certificate's second person
        (broken(lambda r: r.update(kind="zairyu")), "fields.0.name", "在留カード"),
    ]
    for raw, field, words in cases:
        error = (await counter.call("PUT", "/counter/layouts/kurume-tenshutsu", json=raw, expect=422))["error"]
        assert error["field"] == field and words in error["message"], (field, error)
    bad_json = await counter.client.put("/admin/api/v1/counter/layouts/kurume-tenshutsu", data=b"{\"key\": ",
                                        headers=counter.tokens["kanri"])
    assert bad_json.status == 400
    assert "kurume-tenshutsu" not in {r["key"] for r in await counter.call("GET", "/counter/layouts")}
    saved = await counter.call("PUT", "/counter/layouts/kurume-tenshutsu", json=good, expect=200)
    assert saved["fields"] == good["fields"]
    assert await counter.call("GET", "/counter/layouts/kurume-tenshutsu") == saved  # export = what was imported


async def test_a_saved_drawn_definition_reads_a_fresh_scan(counter: Counter) -> None:
    image, _ = _scan(51)
    sample = await counter.call("POST", "/counter/layout-sample", data=_upload(image), expect=200)
    # Staff draw only three regions on the frame (the shipped boxes stand for their drawing).
    chosen = [f for f in SHIPPED.as_json()["fields"] if f["name"] in ("name", "birth_date", "resident_code")]
    definition = {"key": "drawn-tenshutsu", "name": "描いた転出証明書", "kind": "tenshutsu", "size": sample["size"],
                  "fields": chosen}
    await counter.call("PUT", "/counter/layouts/drawn-tenshutsu", json=definition, expect=200)
    fresh, truth = _scan(61)
    form = _upload(fresh)
    form.add_field("kind", "tenshutsu")
    form.add_field("layout", "drawn-tenshutsu")
    read = await counter.call("POST", "/counter/ocr", data=form, who="madoguchi", expect=200)
    assert set(read["fields"]) == {"name", "birth_date", "resident_code"}
    assert read["fields"]["name"]["value"] == truth["name"]
    assert read["fields"]["resident_code"]["value"] == truth["resident_code"]


async def test_the_new_routes_are_in_the_counter_openapi_document(counter: Counter) -> None:
    paths = (await counter.call("GET", "/openapi.json"))["paths"]
    for path in ("/counter/layout-sample", "/counter/layout-trial"):
        post = paths[f"/admin/api/v1{path}"]["post"]
        assert post["x-permission"] == "counter.layouts"
        assert "image" in post["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert paths["/admin/api/v1/counter/layout-fields"]["get"]["x-permission"] == "counter.read"
    report = paths["/admin/api/v1/counter/report"]["get"]
    assert "担当課別" in report["summary"]
