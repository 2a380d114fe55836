"""``python -m bench counter_ocr [--per-kind N] [--engines tesseract,rapidocr] [--seed S]``

OCR of the counter's documents on this machine's CPU, no network: for each layout shipped with the
town (the demo's 転出証明書 and the four card kinds), N documents of fictitious residents are drawn
with Japanese fonts (``civic.counter.ocr.samples``), made to look scanned or photographed (rotated
±2.5°, shifted, rescaled, blurred, noisy, JPEG), and read with each engine. Reports field-level
exact match per kind and per field, and the time per document.
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
        for _ in range(args.per_kind):
            printed, truth = sample_values(layout.kind, rng)
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
        for layout, truth, data in docs:
            started = time.perf_counter()
            got = read_fields(load(data), layout, engine)
            seconds[layout.kind].append(time.perf_counter() - started)
            for key, value in truth.items():
                hits[(layout.kind, key)].append(got[key].value == value)
        print(f"\n== {name}")
        print(f"{'kind':<10} {'fields exact':>13} {'docs all-exact':>15} {'s/doc median':>13} {'s/doc max':>10}")
        for kind in dict.fromkeys(layout.kind for layout, _, _ in docs):
            per = [h for (k, _), hs in hits.items() if k == kind for h in hs]
            n_docs = len(seconds[kind])
            keys = [key for (k, key) in hits if k == kind]
            all_exact = sum(all(hits[(kind, key)][i] for key in keys) for i in range(n_docs))
            print(f"{kind:<10} {sum(per) / len(per):>12.1%} {all_exact:>8}/{n_docs:<6} "
                  f"{statistics.median(seconds[kind]):>13.2f} {max(seconds[kind]):>10.2f}")
        print("per field:")
        for (kind, key), hs in sorted(hits.items()):
            print(f"  {kind:<10} {key:<16} {sum(hs) / len(hs):>6.0%}  ({sum(hs)}/{len(hs)})")
    return 0
