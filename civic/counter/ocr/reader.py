"""Reading a document's named fields with a layout definition.

1. Straighten: the skew angle that makes the rows of text sharpest (a projection profile over
   ±4°, on a small copy).
2. Find the frame: the bounding box of the dark pixels of the straightened page (the document's
   outer frame or its print), so a shifted, rescaled photo maps onto the definition.
3. Cut each field's region (with a little margin), stack the cuts into one image, one engine call per
   document, and give each word to the cut it lies in.
   A region with no ink (a certificate's unused rows) is not read: its value is empty and ``blank``;
   so is one that reads 「以下余白」 (printed after a certificate's last person).
4. Clean each value by its type (``civic.counter.ocr.layouts``): dates to ISO, 男/女, digits, …
   A value that does not fit its type is returned as read with a low confidence, for staff to correct.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageOps

from civic.counter.checks import CheckProblem, iso_date
from civic.counter.ocr.engines import Engine, Word
from civic.counter.ocr.layouts import Layout, Region

GAP = 24  # white pixels between stacked cuts
CUT_HEIGHT = 64  # every cut is scaled to this height (tesseract reads ~30–40 px glyphs best)
#: A region with less ink than this share of its pixels is blank (the emptiest printed value, one 「男」 in a
#: wide box, is ≈ 0.5 %; an empty box of a distorted sample 0 %).
BLANK = 0.001


class UnreadableImage(ValueError):
    pass


@dataclass(frozen=True)
class FieldValue:
    value: str
    confidence: float
    raw: str
    #: Nothing printed in the region (no ink, or only 「以下余白」 after a certificate's last person).
    blank: bool = False


_SPACE_FILLER = re.compile(r"(以下)?余白")


def load(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:  # Pillow raises many kinds for a file that is not an image
        raise UnreadableImage("画像として読み込めません（JPEG か PNG の画像を送ってください）。") from exc
    if image.width * image.height > 40_000_000:
        raise UnreadableImage("画像が大きすぎます（4000万画素まで）。")
    return ImageOps.exif_transpose(image).convert("L")


def _ink(image: Image.Image) -> Image.Image:
    """Dark pixels as 255 on 0 (threshold between paper and print)."""
    return image.point(lambda v: 255 if v < 128 else 0)


def deskew_angle(image: Image.Image, *, limit: float = 4.0, step: float = 0.25) -> float:
    small = image.copy()
    small.thumbnail((500, 500))
    ink = _ink(small)
    best, best_score = 0.0, -1.0
    steps = int(limit / step)
    for i in range(-steps, steps + 1):
        angle = i * step
        rotated = ink.rotate(angle, resample=Image.Resampling.NEAREST, expand=False, fillcolor=0)
        rows = _row_sums(rotated)
        mean = sum(rows) / len(rows)
        score = sum((r - mean) ** 2 for r in rows)
        if score > best_score:
            best, best_score = angle, score
    return best


def _number(v: object) -> float:
    return float(v[0] if isinstance(v, tuple) else v)  # type: ignore[arg-type]


def _row_sums(image: Image.Image) -> list[float]:
    squeezed = image.resize((1, image.height), Image.Resampling.BOX)
    return [_number(v) for v in squeezed.get_flattened_data()]


def straighten(image: Image.Image) -> Image.Image:
    angle = deskew_angle(image)
    if abs(angle) < 0.01:
        return image
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def frame_of(image: Image.Image) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the document: the outermost long dark lines, else all the ink."""
    ink = _ink(image)
    bbox = ink.getbbox()
    if bbox is None:
        raise UnreadableImage("画像に文字が見つかりません。")
    # A photo's background may be darker than the threshold at its edges: look for the frame's long
    # lines (rows/columns at least half dark) and take the outermost ones.
    rows = _row_sums(ink)
    cols = [_number(v) for v in ink.resize((ink.width, 1), Image.Resampling.BOX).get_flattened_data()]
    strong_rows = [y for y, v in enumerate(rows) if v > 255 * 0.45]
    strong_cols = [x for x, v in enumerate(cols) if v > 255 * 0.45]
    if len(strong_rows) >= 2 and len(strong_cols) >= 2:
        top, bottom = strong_rows[0], strong_rows[-1]
        left, right = strong_cols[0], strong_cols[-1]
        if bottom - top > image.height * 0.3 and right - left > image.width * 0.3:
            return left, top, right, bottom
    return bbox


def _clean_digits(text: str) -> str:
    table = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "S": "5", "B": "8", "Z": "2"})
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", text).translate(table))


_JAPANESE = r"\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff々〆ヶ"
_DATE = re.compile(r"(令和|平成|昭和|大正|明治)(元|\d{1,2})年\d{1,2}月\d{1,2}日|\d{4}年\d{1,2}月\d{1,2}日")


PREFECTURES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 神奈川県 新潟県 富山県 石川県 "
    "福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 大阪府 兵庫県 奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 "
    "山口県 徳島県 香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 熊本県 大分県 宮崎県 鹿児島県 沖縄県").split()


def fix_address(text: str) -> str:
    """The prefecture with one character misread (福岡具 → 福岡県), and 大宇 → 大字 (a 大字 name follows)."""
    if not any(text.startswith(name) for name in PREFECTURES):
        text = _nearest_prefecture(text)
    return re.sub(rf"大宇(?=[{_JAPANESE}])", "大字", text)


def _nearest_prefecture(text: str) -> str:
    """One character off exactly one prefecture's name (福岡具 → 福岡県; 福鳥県 is ambiguous and stays)."""
    near = []
    for name in PREFECTURES:
        head = text[:len(name)]
        if len(head) == len(name) and sum(a != b for a, b in zip(head, name, strict=True)) == 1:
            near.append(name)
    return near[0] + text[len(near[0]):] if len(near) == 1 else text


def _zero_variants(digits: str) -> list[str]:
    out = [digits]
    for i, c in enumerate(digits):
        if c in "968":
            out.append(digits[:i] + "0" + digits[i + 1:])
    return out


def _meaningful(word: str) -> bool:
    """Not a speck read as a symbol (a frame's edge, dust): it has a letter, digit, kana or kanji."""
    return bool(re.search(rf"[0-9A-Za-z{_JAPANESE}]", unicodedata.normalize("NFKC", word)))


def clean(region: Region, raw: str) -> tuple[str, bool]:
    """(value, fits its type)."""
    text = unicodedata.normalize("NFKC", raw).strip()
    compact = re.sub(r"\s+", "", text)
    if region.type == "date":
        digits_for: dict[str, str | int | None] = {"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"}
        candidate = compact.translate(str.maketrans(digits_for))
        m = _DATE.search(candidate)
        try:
            return iso_date(m.group(0) if m else candidate), True
        except CheckProblem:
            pass
        # A month or day that cannot be (95月, 36日): the zero read as 9, 6 or 8 — tried in turn.
        parts = re.match(r"^(.*年)(\d{1,2})月(\d{1,2})日", candidate)
        if parts:
            for month in _zero_variants(parts.group(2)):
                for day in _zero_variants(parts.group(3)):
                    try:
                        return iso_date(f"{parts.group(1)}{month}月{day}日"), True
                    except CheckProblem:
                        continue
        return compact, False
    if region.type == "sex":
        if "男" in text or re.search(r"M$", compact):
            return "男", True
        if "女" in text or re.search(r"F$", compact):
            return "女", True
        return compact, False
    if region.type == "digits":
        digits = _clean_digits(text)
        return digits, bool(digits)
    if region.type == "card_number":
        letters = compact.upper()
        m = re.search(r"[A-Z0-9]{12}", letters)
        value = m.group(0) if m else letters
        if len(value) == 12:
            head, mid, tail = value[:2], value[2:10], value[10:]
            letters_for: dict[str, str | int | None] = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z"}
            fix_l = str.maketrans(letters_for)
            value = head.translate(fix_l) + _clean_digits(mid) + tail.translate(fix_l)
        return value, bool(re.fullmatch(r"[A-Z]{2}\d{8}[A-Z]{2}", value))
    if region.type == "latin":
        # The card prints names in capitals: a token with small letters is a speck or a label's edge.
        value = " ".join(t for t in text.split() if not re.search(r"[a-z]", t))
        value = re.sub(r"[^A-Z ]", "", value)
        value = re.sub(r"\s+", " ", value).strip()
        return value, bool(value)
    if region.type == "kana":
        value = re.sub(r"[^\u3041-\u309f\u30a1-\u30ffー]", "", compact)
        return value, bool(value)
    # text, address: Japanese starts with a kanji, kana or digit; specks before it are dropped.
    value = re.sub(rf"^[^0-9{_JAPANESE}]+(?=[0-9{_JAPANESE}])", "", compact)
    if region.type == "address":
        value = fix_address(value)
    return value, bool(value)


def document_frame(image: Image.Image) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """The straightened page and its frame (left, top, right, bottom): a layout's boxes are fractions of
    this frame. The reader and the console's sample drawing (様式の定義) both use it, so they agree."""
    straight = straighten(image)
    return straight, frame_of(straight)


def read_fields(image: Image.Image, layout: Layout, engine: Engine) -> dict[str, FieldValue]:
    straight, (left, top, right, bottom) = document_frame(image)
    fw, fh = right - left, bottom - top
    cuts: list[tuple[Region, Image.Image]] = []
    for region in layout.fields:
        x, y, w, h = region.box
        # Little room on the left (the label ends just before the box), more on the right and above/below.
        mx, my = w * fw * 0.02 + 4, h * fh * 0.18
        box = (int(left + x * fw - 2), int(top + y * fh - my), int(left + (x + w) * fw + mx),
               int(top + (y + h) * fh + my))
        cut = straight.crop(box)
        if _ink(cut).histogram()[255] < BLANK * cut.width * cut.height:
            continue  # nothing printed here (a certificate's unused rows): not read, so nothing is made up
        ratio = CUT_HEIGHT / max(1, cut.height)
        cut = cut.resize((max(1, int(cut.width * ratio)), CUT_HEIGHT), Image.Resampling.LANCZOS)
        cuts.append((region, cut))
    out = {r.name: FieldValue("", 0.0, "", blank=True) for r in layout.fields}
    if not cuts:
        return out
    width = max(c.width for _, c in cuts) + 2 * GAP
    height = sum(c.height + GAP for _, c in cuts) + GAP
    sheet = Image.new("L", (width, height), 255)
    spans: list[tuple[Region, int, int]] = []
    y = GAP
    for region, cut in cuts:
        sheet.paste(cut, (GAP, y))
        spans.append((region, y, y + cut.height))
        y += cut.height + GAP
    words = engine.read(sheet)
    by_field: dict[str, list[Word]] = {r.name: [] for r, _ in cuts}
    for word in words:
        centre = word.box[1] + word.box[3] / 2
        for region, start, end in spans:
            if start - GAP / 2 <= centre < end + GAP / 2:
                by_field[region.name].append(word)
                break
    # A lone character (続柄 「子」「妻」) can be dropped by the page-level read, or taken for latin letters:
    # such a field is read again alone (a Japanese field with the Japanese model only).
    single = getattr(engine, "single_line", None)
    if single is not None:
        for region, cut in cuts:
            text = "".join(w.text for w in by_field[region.name] if _meaningful(w.text))
            japanese = region.type in ("text", "kana", "address")
            if not text or (japanese and not re.search(f"[{_JAPANESE}]", text)):
                padded = Image.new("L", (cut.width + 2 * GAP, cut.height + 2 * GAP), 255)
                padded.paste(cut, (GAP, GAP))
                by_field[region.name] = single(padded, japanese=japanese)
    for region, _ in cuts:
        found = sorted((w for w in by_field[region.name] if _meaningful(w.text)), key=lambda w: w.box[0])
        raw = " ".join(w.text for w in found)
        if _SPACE_FILLER.fullmatch(re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw))):
            continue  # 「以下余白」: the certificate's persons end here
        value, fits = clean(region, raw)
        confidence = sum(w.confidence for w in found) / len(found) if found else 0.0
        out[region.name] = FieldValue(value, round(confidence if fits else confidence * 0.3, 3), raw)
    return out
