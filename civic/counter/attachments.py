"""Papers attached to a 届書, kept as PDF with a masked version (小郡市 spec §(4) e, f; §(5) q, t, u, v).

An attachment is the certificate read by OCR, a power of attorney (委任状) or another paper, sent as a
JPEG/PNG image or a PDF. Each page becomes an image (a PDF's pages are drawn by PDFium); the pages are
kept as one PDF (``full``, reportlab: each page a JPEG on a page of A4's proportions) and again with
black boxes painted into the pixels (``masked``): what is under a box is gone from that file, not
covered by a drawing a PDF reader could move.

What is masked (§(5) u: several kinds):

* by kind — 個人番号, 住民票コード, 在留カード番号, 本籍: for a paper that follows an OCR layout definition
  (``civic.counter.ocr.layouts``), the regions of the fields of that kind (``resident_code``,
  ``resident_code2``, …) are found on the page — straightened and its frame found as the reader does —
  and kept as ``auto`` rectangles; the kinds chosen (all by default) decide which of them are painted;
* by search — on a paper without a layout (a 委任状), when asked: each page read by OCR, and the numbers
  found on it — 12 digits (個人番号), 11 digits (住民票コード), 2 letters 8 digits 2 letters (在留カード番号),
  spaced or hyphenated as printed — kept as ``auto`` rectangles too. A number is masked by its length,
  not its check digit: a digit misread by OCR must not leave the number visible (a phone number read
  with a stray digit is masked as well);
* by hand — rectangles staff draw over the page in the console (``drawn``), on any paper.

Rectangles are fractions of the page (``[left, top, width, height]``), so they hold at any resolution.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageOps

from civic.counter.forms import FormProblem
from civic.counter.ocr.engines import Engine, Word
from civic.counter.ocr.layouts import Layout
from civic.counter.ocr.reader import deskew_angle, frame_of

KINDS: dict[str, str] = {"tenshutsu": "転出証明書", "zairyu": "在留カード・特別永住者証明書", "menkyo": "運転免許証",
                         "mynumber": "マイナンバーカード", "ininjo": "委任状", "other": "その他の書類"}
MASK_KINDS: dict[str, str] = {"individual_number": "個人番号", "resident_code": "住民票コード",
                              "card_number": "在留カード番号", "honseki": "本籍"}
MAX_PAGES = 20
MAX_RECTS = 60
#: The long side of a stored page, in pixels (≈ 200 dpi on A4): enough to read a certificate.
LONG_SIDE = 2300
PDF_SCALE = 200 / 72
JPEG_QUALITY = 80
#: PDFium is not thread-safe; requests draw PDFs in worker threads (asyncio.to_thread), one at a time.
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class Made:
    full: bytes
    masked: bytes
    pages: int
    masks: dict[str, Any]


def _fit(image: Image.Image) -> Image.Image:
    image = image.convert("RGB")
    if max(image.size) > LONG_SIDE:
        image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    return image


def pages_of(data: bytes) -> list[Image.Image]:
    """The pages of an uploaded file: a PDF's pages drawn by PDFium, or the one image (EXIF-turned)."""
    if data[:5] == b"%PDF-":
        return _pdf_pages(data, render=True)
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ("JPEG", "PNG"):
            raise FormProblem("file", "invalid", "JPEG・PNG の画像か PDF を送ってください。")
        if image.width * image.height > 40_000_000:
            raise FormProblem("file", "invalid", "画像が大きすぎます（4000万画素まで）。")
        image.load()
    except FormProblem:
        raise
    except Exception as exc:  # Pillow raises many kinds for a file that is not an image
        raise FormProblem("file", "invalid", "画像として読み込めません（JPEG・PNG の画像か PDF を送ってください）。") from exc
    return [_fit(ImageOps.exif_transpose(image))]


def _pdf_pages(data: bytes, *, render: bool) -> list[Image.Image]:
    """A PDF's pages: drawn (an uploaded PDF), or the one image each page of our own PDFs holds."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_raw

    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise FormProblem("file", "invalid", "PDF として読み込めません（壊れているか、パスワードつきです）。") from exc
        try:
            if len(pdf) > MAX_PAGES:
                raise FormProblem("file", "invalid", f"PDF は {MAX_PAGES} ページまでです（{len(pdf)} ページあります）。")
            out = []
            for page in pdf:
                if render:  # at most LONG_SIDE pixels, whatever size the page claims
                    scale = min(PDF_SCALE, LONG_SIDE / max(1.0, *page.get_size()))
                    out.append(_fit(page.render(scale=scale).to_pil()))
                else:
                    image = next(page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE]))
                    out.append(image.get_bitmap(render=False).to_pil().convert("RGB"))
            return out
        finally:
            pdf.close()


def field_kind(name: str) -> str | None:
    """The masking kind of a layout field: ``resident_code2`` (the second member's) is a 住民票コード."""
    base = re.sub(r"\d+$", "", name)
    return base if base in MASK_KINDS else None


def _rect(page: Image.Image, number: int, kind: str, field: str, corners: tuple[float, float, float, float],
          ) -> dict[str, Any]:
    """A rectangle in pixels (left, top, right, bottom), kept inside the page, as fractions of it."""
    x0, y0 = max(0.0, corners[0]), max(0.0, corners[1])
    x1, y1 = min(float(page.width), corners[2]), min(float(page.height), corners[3])
    return {"page": number, "kind": kind, "field": field,
            "box": [round(x0 / page.width, 4), round(y0 / page.height, 4), round((x1 - x0) / page.width, 4),
                    round((y1 - y0) / page.height, 4)]}


def straighten_for(page: Image.Image, layout: Layout) -> tuple[Image.Image, list[dict[str, Any]]]:
    """The page straightened as the OCR reader does, and the rectangles of its maskable fields."""
    gray = page.convert("L")
    angle = deskew_angle(gray)
    if abs(angle) >= 0.01:
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
        gray = page.convert("L")
    left, top, right, bottom = frame_of(gray)
    fw, fh = right - left, bottom - top
    rects = []
    for region in layout.fields:
        kind = field_kind(region.name)
        if kind is None:
            continue
        x, y, w, h = region.box
        # The reader's margins and a little more: a value printed off its box is still covered.
        mx, my = w * fw * 0.04 + 6, h * fh * 0.25 + 2
        rects.append(_rect(page, 0, kind, region.name, (left + x * fw - mx, top + y * fh - my,
                                                        left + (x + w) * fw + mx, top + (y + h) * fh + my)))
    return page, rects


def _lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped into printed lines (centres within half a word's height), each left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: w.box[1] + w.box[3] / 2):
        centre = word.box[1] + word.box[3] / 2
        if lines and abs(centre - (lines[-1][0].box[1] + lines[-1][0].box[3] / 2)) <= max(4, lines[-1][0].box[3] / 2):
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.box[0]) for line in lines]


_NUMBERISH = re.compile(r"^[0-9A-Z\-‐－ー・.|]+$")
#: 12 or 11 digits alone (個人番号, 住民票コード); a 在留カード番号, its digits perhaps read as letters (I for 1).
_NUMBERS = re.compile(r"(?<!\d)\d{11,12}(?!\d)|[A-Z]{2}[0-9IOLSBZ]{8}[A-Z]{2}")


def _numbers_in(run: list[Word]) -> list[tuple[str, list[Word]]]:
    """(kind, the words it is printed in) for each number in a run of neighbouring words."""
    text, owner = "", []
    for word in run:
        for char in re.sub(r"[^0-9A-Z]", "", word.text):
            text += char
            owner.append(word)
    out = []
    for m in _NUMBERS.finditer(text):
        value = m.group(0)
        if value.isdigit():
            kind = "individual_number" if len(value) == 12 else "resident_code"
        elif sum(c.isdigit() for c in value[2:10]) >= 6:
            kind = "card_number"
        else:
            continue
        words = list(dict.fromkeys(owner[m.start():m.end()]))
        out.append((kind, words))
    return out


def find_numbers(page: Image.Image, engine: Engine, number: int = 0) -> list[dict[str, Any]]:
    """Rectangles over the numbers OCR finds on a page: runs of neighbouring words made of digits (and the
    card number's letters) on one line, whose characters make a 個人番号, 住民票コード or 在留カード番号."""
    import unicodedata

    words = [Word(unicodedata.normalize("NFKC", w.text).upper(), w.confidence, w.box)
             for w in engine.read(page.convert("L"))]
    found = []
    for line in _lines(words):
        run: list[Word] = []
        for word in [*line, None]:
            gap = 0.0 if word is None or not run else word.box[0] - (run[-1].box[0] + run[-1].box[2])
            if word is not None and _NUMBERISH.match(word.text) and (not run or gap < 2.5 * max(run[-1].box[3], 8)):
                run.append(word)
                continue
            for kind, part in _numbers_in(run):
                x0, y0 = min(w.box[0] for w in part), min(w.box[1] for w in part)
                x1, y1 = max(w.box[0] + w.box[2] for w in part), max(w.box[1] + w.box[3] for w in part)
                pad = (y1 - y0) * 0.3 + 3
                found.append(_rect(page, number, kind, "found", (x0 - pad, y0 - pad, x1 + pad, y1 + pad)))
            run = [word] if word is not None and _NUMBERISH.match(word.text) else []
    return found


_NUMBER_ENGINE: list[Engine] = []


def number_engine() -> Engine:
    """The engine that searches for numbers: tesseract with the latin model only (digits and the card's
    letters), ≈ 1.5× faster than with the Japanese model and as good at digits."""
    if not _NUMBER_ENGINE:
        from civic.counter.ocr.engines import TesseractEngine

        _NUMBER_ENGINE.append(TesseractEngine(lang="eng"))
    return _NUMBER_ENGINE[0]


def check_kinds(kinds: Any) -> list[str]:
    if not isinstance(kinds, list) or any(k not in MASK_KINDS for k in kinds):
        raise FormProblem("kinds", "invalid", f"マスキングの種類は次のいずれかです: {', '.join(MASK_KINDS)}")
    return [k for k in MASK_KINDS if k in kinds]


def check_rects(rects: Any, pages: int) -> list[dict[str, Any]]:
    """Rectangles drawn by staff: ``[{"page": 0, "box": [left, top, width, height]}]`` (fractions)."""
    if not isinstance(rects, list) or len(rects) > MAX_RECTS:
        raise FormProblem("rects", "invalid", f"rects は {MAX_RECTS} 個までの長方形の一覧です。")
    out = []
    for i, r in enumerate(rects):
        path = f"rects.{i}"
        if not isinstance(r, dict):
            raise FormProblem(path, "invalid", "長方形は {page, box} です。")
        page, box = r.get("page", 0), r.get("box")
        if not isinstance(page, int) or not 0 <= page < pages:
            raise FormProblem(f"{path}.page", "invalid", f"page は 0〜{pages - 1} です。")
        if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, int | float) for v in box)):
            raise FormProblem(f"{path}.box", "invalid", "box は [左, 上, 幅, 高さ]（0〜1 の割合）です。")
        left, top, width, height = (float(v) for v in box)
        if not (0 <= left < 1 and 0 <= top < 1 and 0 < width <= 1 - left + 1e-6 and 0 < height <= 1 - top + 1e-6):
            raise FormProblem(f"{path}.box", "invalid", "box がページの外にはみ出しています。")
        out.append({"page": page, "box": [round(v, 4) for v in (left, top, width, height)]})
    return out


def painted(pages: list[Image.Image], masks: dict[str, Any]) -> list[Image.Image]:
    """The pages with every chosen rectangle painted black into the pixels."""
    chosen = [r for r in masks["auto"] if r["kind"] in masks["kinds"]] + list(masks["drawn"])
    out = []
    for n, page in enumerate(pages):
        page = page.copy()
        draw = ImageDraw.Draw(page)
        for r in chosen:
            if r["page"] != n:
                continue
            left, top, width, height = r["box"]
            draw.rectangle((int(left * page.width), int(top * page.height),
                            int((left + width) * page.width + 0.999), int((top + height) * page.height + 0.999)),
                           fill=(0, 0, 0))
        out.append(page)
    return out


def as_pdf(pages: list[Image.Image], title: str) -> bytes:
    """One PDF page per image (JPEG inside), on A4 turned to the image's orientation."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True)
    pdf.setTitle(title)
    for page in pages:
        size = landscape(A4) if page.width > page.height else A4
        pdf.setPageSize(size)
        scale = min(size[0] / page.width, size[1] / page.height)
        w, h = page.width * scale, page.height * scale
        jpeg = io.BytesIO()
        page.save(jpeg, "JPEG", quality=JPEG_QUALITY, optimize=True)
        jpeg.seek(0)
        pdf.drawImage(ImageReader(jpeg), (size[0] - w) / 2, size[1] - h, w, h)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def make(data: bytes, *, title: str, layout: Layout | None, kinds: list[str], drawn: Any,
         search: Engine | None = None) -> Made:
    """The full and masked PDFs of an uploaded paper; ``search``: the OCR engine that finds the numbers
    on a paper without a layout."""
    pages = pages_of(data)
    auto: list[dict[str, Any]] = []
    if layout is not None:
        pages[0], auto = straighten_for(pages[0], layout)
    elif search is not None:
        auto = [r for n, page in enumerate(pages) for r in find_numbers(page, search, n)]
    masks = {"kinds": check_kinds(kinds), "auto": auto, "drawn": check_rects(drawn, len(pages))}
    return Made(as_pdf(pages, title), as_pdf(painted(pages, masks), title + "（マスキング済み）"), len(pages), masks)


def remask(full: bytes, masks: dict[str, Any], *, title: str, kinds: Any, drawn: Any) -> Made:
    """New masks on a stored paper: the pages taken back from the full PDF, painted again."""
    pages = _pdf_pages(full, render=False)
    masks = {"kinds": check_kinds(kinds), "auto": masks["auto"], "drawn": check_rects(drawn, len(pages))}
    return Made(full, as_pdf(painted(pages, masks), title + "（マスキング済み）"), len(pages), masks)


def page_png(pdf: bytes, page: int, *, width: int = 900) -> bytes:
    """One page of a stored PDF as PNG, for the console to show and draw rectangles on."""
    pages = _pdf_pages(pdf, render=False)
    if not 0 <= page < len(pages):
        raise FormProblem("page", "invalid", f"page は 0〜{len(pages) - 1} です。")
    image = pages[page]
    image.thumbnail((width, width * 2), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
