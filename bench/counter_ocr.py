"""``python -m bench counter_ocr [--per-kind N] [--engines tesseract,rapidocr] [--seed S]``

OCR of the counter's documents on this machine's CPU, no network: for each layout shipped with the
town (the demo's two 転出証明書 layouts and the card kinds), N documents of fictitious residents are drawn
with Japanese fonts (``civic.counter.ocr.samples``), made to look scanned or photographed (rotated
±2.5°, shifted, rescaled, blurred, noisy, JPEG), and read with each engine. Reports field-level
exact match per layout and per field, and the time per document. A certificate lists as many persons
as its layout has rows, except the household layout (8 rows): 1 … 8 persons at random, its unused rows
counted as 「made up」 when anything is read from them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path

from civic.counter.ocr.engines import available
from civic.counter.ocr.layouts import load_dir
from civic.counter.ocr.reader import load, read_fields
from civic.counter.ocr.samples import distort, render, sample_values


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench counter_ocr")
    parser.add_argument("--per-kind", type=int, default=10)
    parser.add_argument("--engines", default="tesseract,rapidocr")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--town", default="content/midori")
    args = parser.parse_args(argv)
    layouts = load_dir(Path(args.town) / "counter" / "layouts")
    rng = random.Random(args.seed)
    docs = []
    for layout in layouts.values():
        rows = sum(1 for f in layout.fields if f.name.startswith("name"))
        for _ in range(args.per_kind):
            persons = {"persons": rng.randint(1, rows) if rows > 2 else 2} if layout.kind == "tenshutsu" else {}
            printed, truth = sample_values(layout.kind, rng, **persons)
            docs.append((layout, truth, distort(render(layout, printed), rng)))
    print(f"{len(docs)} documents ({args.per_kind} per layout, seed {args.seed}), distorted: rotation ±2.5°, "
          "shift, scale 0.85–1.15, blur, noise, JPEG 55–85")
    for name in args.engines.split(","):
        try:
            engine = available(name)
        except ImportError as exc:
            print(f"\n== {name}: not installed ({exc}); pip install '.[ocr-compare]'")
            continue
        hits: dict[tuple[str, str], list[bool]] = defaultdict(list)
        seconds: dict[str, list[float]] = defaultdict(list)
        made_up: dict[str, list[bool]] = defaultdict(list)
        all_exact: dict[str, list[bool]] = defaultdict(list)
        for layout, truth, data in docs:
            started = time.perf_counter()
            got = read_fields(load(data), layout, engine)
            seconds[layout.key].append(time.perf_counter() - started)
            for key, value in truth.items():
                hits[(layout.key, key)].append(got[key].value == value)
            made_up[layout.key] += [bool(v.value) for k, v in got.items() if k not in truth]
            all_exact[layout.key].append(all(got[key].value == value for key, value in truth.items()))
        print(f"\n== {name}")
        print(f"{'layout':<17} {'fields exact':>13} {'docs all-exact':>15} {'s/doc median':>13} {'s/doc max':>10}"
              f" {'made up':>8}")
        for kind in dict.fromkeys(layout.key for layout, _, _ in docs):
            per = [h for (k, _), hs in hits.items() if k == kind for h in hs]
            print(f"{kind:<17} {sum(per) / len(per):>12.1%} {sum(all_exact[kind]):>8}/{len(all_exact[kind]):<6} "
                  f"{statistics.median(seconds[kind]):>13.2f} {max(seconds[kind]):>10.2f}"
                  f" {sum(made_up[kind]):>4}/{len(made_up[kind]):<4}")
        print("per field:")
        for (kind, key), hs in sorted(hits.items()):
            print(f"  {kind:<17} {key:<16} {sum(hs) / len(hs):>6.0%}  ({sum(hs)}/{len(hs)})")
    return 0
