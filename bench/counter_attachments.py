"""``python -m bench counter_attachments [--per-kind N] [--seed S]``

The counter's attachments (``civic.counter.attachments``) on this machine's CPU: for each layout shipped
with the town, N fictitious documents photographed (rotated, shifted, blurred, JPEG), and a 3-page
scanned PDF (A4, 200 dpi) for the papers without a layout (委任状). Reports the time to make the full and
masked PDFs (masks found from the layout, or the numbers searched by OCR on the 委任状), the time to mask again (rectangles drawn by staff), and the
storage per attachment: as stored (encrypted bytes, ``EncryptedBytes``) and as it would be as base64
inside ``EncryptedText`` (how the 届書 PDFs are kept).
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import random
import statistics
import time
from pathlib import Path

from PIL import Image, ImageDraw

from civic.counter import attachments
from civic.counter.ocr.layouts import Layout, load_dir
from civic.counter.ocr.samples import distort, font_path, render, sample_values
from civic.crypto import FieldCipher


def _scanned_pdf(rng: random.Random, pages: int = 3) -> bytes:
    """A 委任状-like scan: A4 pages at 200 dpi with lines of text, as a scanner writes them (JPEG in PDF)."""
    from PIL import ImageFont

    font = ImageFont.truetype(font_path("mincho"), 34)
    images = []
    for n in range(pages):
        page = Image.new("RGB", (1654, 2339), (250, 250, 246))
        draw = ImageDraw.Draw(page)
        draw.text((700, 160), "委　任　状", font=font, fill=(20, 20, 20))
        for i in range(28):
            line = "".join(rng.choice("私は下記の者を代理人と定め住民異動届に関する一切の権限を委任します") for _ in range(30))
            draw.text((150, 300 + i * 66), f"{n + 1}-{i + 1}　{line}", font=font, fill=(30, 30, 30))
        images.append(page)
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=200, quality=75)
    return out.getvalue()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench counter_attachments")
    parser.add_argument("--per-kind", type=int, default=5)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--town", default="content/midori")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    cipher = FieldCipher(os.urandom(32))
    cases: list[tuple[str, Layout | None, bytes]] = []
    engine = attachments.number_engine()
    for shipped in load_dir(Path(args.town) / "counter" / "layouts").values():
        for _ in range(args.per_kind):
            cases.append((shipped.kind, shipped, distort(render(shipped, sample_values(shipped.kind, rng)[0]), rng)))
    for _ in range(max(1, args.per_kind // 2)):
        cases.append(("ininjo (3-page PDF)", None, _scanned_pdf(rng)))
        cases.append(("ininjo + OCR search", None, _scanned_pdf(rng)))
    print(f"{len(cases)} uploads (seed {args.seed}); times are medians, sizes means")
    print(f"{'kind':22} {'upload KB':>9} {'full KB':>8} {'masked KB':>9} {'stored KB':>9} {'as base64 KB':>12} "
          f"{'make s':>7} {'remask s':>8} {'masks':>5}")
    rows: dict[str, list[tuple[float, ...]]] = {}
    for kind, layout, data in cases:
        started = time.perf_counter()
        made = attachments.make(data, title=kind, layout=layout, kinds=list(attachments.MASK_KINDS), drawn=[],
                                search=engine if "search" in kind else None)
        make_s = time.perf_counter() - started
        started = time.perf_counter()
        attachments.remask(made.full, made.masks, title=kind, kinds=list(attachments.MASK_KINDS),
                           drawn=[{"page": 0, "box": [0.1, 0.1, 0.3, 0.1]}])
        remask_s = time.perf_counter() - started
        stored = len(cipher.encrypt_bytes(made.full)) + len(cipher.encrypt_bytes(made.masked))
        as_text = sum(len(cipher.encrypt(base64.b64encode(b).decode())) for b in (made.full, made.masked))
        rows.setdefault(kind, []).append((len(data), len(made.full), len(made.masked), stored, as_text, make_s,
                                          remask_s, len(made.masks["auto"])))
    every = [r for rs in rows.values() for r in rs]
    for kind, rs in [*rows.items(), ("all", every)]:
        def mean(i: int, rs: list[tuple[float, ...]] = rs) -> float:
            return statistics.mean(r[i] for r in rs) / 1024

        def median(i: int, rs: list[tuple[float, ...]] = rs) -> float:
            return statistics.median(r[i] for r in rs)

        print(f"{kind:22} {mean(0):9.0f} {mean(1):8.0f} {mean(2):9.0f} {mean(3):9.0f} {mean(4):12.0f} "
              f"{median(5):7.2f} {median(6):8.2f} {median(7):5.0f}")
    ratio = statistics.mean(r[4] for r in every) / statistics.mean(r[3] for r in every)
    print(f"\nstored as encrypted bytes: {ratio:.2f}× smaller than base64 inside encrypted text")
    return 0
