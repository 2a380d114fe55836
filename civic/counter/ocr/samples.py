"""Documents drawn from a layout definition, for the OCR test set and the demo (never real data).

``sample_values`` makes a fictitious resident for a document kind; ``render`` draws the document
with its labels and values in a Japanese font (IPAmj明朝 or IPAゴシック from Debian's packages);
``distort`` makes it look scanned or photographed: rotated, shifted, blurred, noisy, JPEG-compressed.
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from civic.counter.checks import with_check_digit
from civic.counter.ocr.layouts import DOC_KINDS, MAX_PERSONS, Layout, load_dir
from civic.procedures.dates import wareki

FONTS = {
    "mincho": ["/usr/share/fonts/truetype/ipamj/ipamjm.ttf", "/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf"],
    "gothic": ["/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
               "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"],
}
SURNAMES = [("山田", "やまだ"), ("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし"), ("田中", "たなか"),
            ("渡辺", "わたなべ"), ("伊藤", "いとう"), ("中村", "なかむら"), ("小林", "こばやし"), ("加藤", "かとう"),
            ("吉田", "よしだ"), ("松本", "まつもと"), ("井上", "いのうえ"), ("木村", "きむら"), ("林", "はやし")]
GIVEN = [("太郎", "たろう", "男"), ("花子", "はなこ", "女"), ("健一", "けんいち", "男"), ("美咲", "みさき", "女"),
         ("大輔", "だいすけ", "男"), ("陽菜", "ひな", "女"), ("翔太", "しょうた", "男"), ("結衣", "ゆい", "女"),
         ("誠", "まこと", "男"), ("直美", "なおみ", "女"), ("拓也", "たくや", "男"), ("由美", "ゆみ", "女")]
TOWNS = [("福岡県久留米市", "東町"), ("福岡県小郡市", "小郡"), ("福岡県筑紫野市", "二日市中央"),
         ("佐賀県鳥栖市", "本町"), ("福岡県みどり郡みどり町", "大字緑川")]
LATIN = ["NGUYEN VAN AN", "TRAN THI MAI", "MARIA SANTOS", "LI WEI", "KIM MINJUN", "JOHN SMITH", "ANA SILVA"]
NATIONS = ["ベトナム", "フィリピン", "中国", "韓国", "ブラジル", "米国", "ネパール"]
STATUSES = ["技能実習", "永住者", "留学", "家族滞在", "技術・人文知識・国際業務", "特定技能"]


def font_path(style: str) -> str:
    for path in FONTS[style]:
        if Path(path).is_file():
            return path
    raise FileNotFoundError(f"no Japanese {style} font: install fonts-ipamj-mincho / fonts-ipafont (scripts/system-packages.sh)")


def _date(rng: random.Random, start: int, end: int) -> date:
    return date(start, 1, 1) + timedelta(days=rng.randrange((date(end, 1, 1) - date(start, 1, 1)).days))


def _address(rng: random.Random) -> str:
    town, district = rng.choice(TOWNS)
    return f"{town}{district}{rng.randint(1, 999)}番地{rng.randint(1, 30)}"


def _person(rng: random.Random) -> tuple[str, str, str, date]:
    (sur, skana), (given, gkana, sex) = rng.choice(SURNAMES), rng.choice(GIVEN)
    return f"{sur} {given}", f"{skana} {gkana}", sex, _date(rng, 1940, 2024)


def sample_values(kind: str, rng: random.Random, *, persons: int = 2) -> tuple[dict[str, str], dict[str, str]]:
    """(what is printed on the document, what OCR should read: ISO dates, no spaces in Japanese).

    A 転出証明書 lists ``persons`` members (1 … ``MAX_PERSONS``): the head, then persons 2, 3, … under
    ``name2``, ``name3``, … (the third and later are the head's children, with the head's surname)."""
    if not 1 <= persons <= MAX_PERSONS:
        raise ValueError(f"persons is 1 … {MAX_PERSONS}")
    printed: dict[str, str] = {}
    truth: dict[str, str] = {}
    if kind == "tenshutsu":
        town = rng.choice(TOWNS[:4])[0]
        head = _person(rng)
        printed["issuer"] = truth["issuer"] = f"{town}長"
        printed["head"], truth["head"] = head[0], head[0].replace(" ", "")
        moved = _date(rng, 2026, 2027)
        printed["moved_on"], truth["moved_on"] = wareki(moved), moved.isoformat()
        printed["address"] = truth["address"] = f"{town}{rng.choice(['東町', '本町', '中央'])}{rng.randint(1, 99)}番地{rng.randint(1, 9)}"
        printed["new_address"] = truth["new_address"] = f"福岡県みどり郡みどり町大字緑川{rng.randint(1, 999)}番地"
        listed = [("", head, "世帯主")]
        if persons >= 2:
            listed.append(("2", _person(rng), rng.choice(["妻", "子", "母"])))
        for k in range(3, persons + 1):
            given, gkana, sex = rng.choice(GIVEN)
            child = (f"{head[0].split()[0]} {given}", f"{head[1].split()[0]} {gkana}", sex, _date(rng, 1990, 2025))
            listed.append((str(k), child, "子"))
        for suffix, person, rel in listed:
            name, kana, sex, born = person
            printed["name" + suffix], truth["name" + suffix] = name, name.replace(" ", "")
            printed["kana" + suffix], truth["kana" + suffix] = kana, kana.replace(" ", "")
            printed["sex" + suffix] = truth["sex" + suffix] = sex
            printed["relationship" + suffix] = truth["relationship" + suffix] = rel
            printed["birth_date" + suffix], truth["birth_date" + suffix] = wareki(born), born.isoformat()
            code = with_check_digit("".join(str(rng.randint(0, 9)) for _ in range(10)))
            printed["resident_code" + suffix] = truth["resident_code" + suffix] = code
        return printed, truth
    name, kana, sex, born = _person(rng)
    address = _address(rng)
    if kind in ("mynumber", "menkyo"):
        printed["name"], truth["name"] = name, name.replace(" ", "")
        printed["address"] = truth["address"] = address
        era = wareki(born)
        printed["birth_date"], truth["birth_date"] = f"{era}生", born.isoformat()
        if kind == "mynumber":
            printed["sex"] = truth["sex"] = sex
        else:
            number = "".join(str(rng.randint(0, 9)) for _ in range(12))
            printed["license_number"], truth["license_number"] = f"第{number}号", number
        return printed, truth
    # zairyu
    latin = rng.choice(LATIN)
    printed["name"] = truth["name"] = latin
    printed["birth_date"], truth["birth_date"] = f"{born.year}年{born.month:02d}月{born.day:02d}日", born.isoformat()
    printed["sex"], truth["sex"] = f"{sex} {'M' if sex == '男' else 'F'}", sex
    printed["nationality"] = truth["nationality"] = rng.choice(NATIONS)
    printed["address"] = truth["address"] = address
    printed["stay_status"] = truth["stay_status"] = rng.choice(STATUSES)
    until = _date(rng, 2027, 2032)
    printed["stay_until"], truth["stay_until"] = f"{until.year}年{until.month:02d}月{until.day:02d}日", until.isoformat()
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    number = (rng.choice(letters) + rng.choice(letters) + "".join(str(rng.randint(0, 9)) for _ in range(8))
              + rng.choice(letters) + rng.choice(letters))
    printed["card_number"] = truth["card_number"] = number
    return printed, truth


TITLES = {"tenshutsu": "転 出 証 明 書", "mynumber": "個人番号カード", "menkyo": "運転免許証", "zairyu": "在留カード"}
MARGIN = 0.04  # the frame is drawn this far inside the page: layout boxes are fractions of the frame


def render(layout: Layout, printed: dict[str, str], *, scale: float = 1.0) -> Image.Image:
    """The document at its sample size × ``scale``: a frame, the title, every label and value."""
    w, h = int(layout.size[0] * scale), int(layout.size[1] * scale)
    page = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(page)
    fx, fy = int(w * MARGIN), int(h * MARGIN)
    fw, fh = w - 2 * fx, h - 2 * fy
    draw.rectangle((fx, fy, fx + fw, fy + fh), outline=0, width=max(2, int(3 * scale)))
    style = "mincho" if layout.kind == "tenshutsu" else "gothic"
    unit = min(fw, fh)  # a portrait page's labels are sized by its width
    small = ImageFont.truetype(font_path("gothic"), max(10, int(unit * 0.028)))
    title = ImageFont.truetype(font_path(style), max(12, int(unit * 0.045)))
    if layout.kind in TITLES and layout.kind != "tenshutsu":
        draw.text((fx + fw * 0.80, fy + fh * 0.90), TITLES[layout.kind], font=small, fill=0, anchor="mm")
    elif layout.kind == "tenshutsu":
        draw.text((fx + fw * 0.82, fy + fh * 0.10), TITLES["tenshutsu"], font=title, fill=0, anchor="mm")
    for region in layout.fields:
        left, top, width, height = region.box
        x, y, bw, bh = fx + left * fw, fy + top * fh, width * fw, height * fh
        draw.text((x - 8 * scale, y + bh / 2), region.label, font=small, fill=60, anchor="rm")
        value = printed.get(region.name, "")
        if not value:
            continue
        size = int(bh * 0.62)
        font = ImageFont.truetype(font_path(style), size)
        while size > 8 and draw.textlength(value, font=font) > bw * 0.96:
            size -= 1
            font = ImageFont.truetype(font_path(style), size)
        draw.text((x + 4 * scale, y + bh / 2), value, font=font, fill=0, anchor="lm")
    return page


def distort(image: Image.Image, rng: random.Random, *, strength: float = 1.0) -> bytes:
    """A scanned or photographed look, as JPEG bytes: up to ±2.5° rotation, a shifted and rescaled
    frame on a larger grey background, blur, sensor noise and compression."""
    angle = rng.uniform(-2.5, 2.5) * strength
    rotated = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    pad_x, pad_y = int(image.width * rng.uniform(0.02, 0.10)), int(image.height * rng.uniform(0.02, 0.10))
    canvas = Image.new("L", (rotated.width + 2 * pad_x, rotated.height + 2 * pad_y), rng.randint(200, 235))
    canvas.paste(rotated, (pad_x + rng.randint(-pad_x // 2, pad_x // 2), pad_y + rng.randint(-pad_y // 2, pad_y // 2)))
    factor = rng.uniform(0.85, 1.15)
    canvas = canvas.resize((int(canvas.width * factor), int(canvas.height * factor)), Image.Resampling.BILINEAR)
    canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.1) * strength))
    noise = Image.effect_noise(canvas.size, rng.uniform(6, 18) * strength)
    canvas = Image.blend(canvas, noise, 0.12 * strength)
    buffer = io.BytesIO()
    canvas.convert("RGB").save(buffer, format="JPEG", quality=rng.randint(55, 85))
    return buffer.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    """``python -m civic.counter.ocr.samples LAYOUT OUT.jpg [--persons N] [--seed S] [--town DIR]``: a
    fictitious document drawn with one of the town's layouts and made to look scanned, to try the
    counter's OCR with (e.g. ``tenshutsu-setai out.jpg --persons 4``: a household of 4)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m civic.counter.ocr.samples")
    parser.add_argument("layout")
    parser.add_argument("out", type=Path)
    parser.add_argument("--persons", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--town", type=Path, default=Path("content/midori"))
    args = parser.parse_args(argv)
    layouts = load_dir(args.town / "counter" / "layouts")
    if args.layout not in layouts:
        parser.error(f"no layout {args.layout} (there are: {', '.join(layouts)})")
    layout, rng = layouts[args.layout], random.Random(args.seed)
    more = {"persons": args.persons} if layout.kind == "tenshutsu" else {}
    printed, _ = sample_values(layout.kind, rng, **more)
    args.out.write_bytes(distort(render(layout, printed), rng, strength=0.3))
    print(f"{args.out}: {DOC_KINDS[layout.kind]} ({layout.key}{f', {args.persons}人' if more else ''})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
