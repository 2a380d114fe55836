"""OCR engines that run on the counter machine's CPU with no network.

* ``TesseractEngine`` — Debian's ``tesseract-ocr`` with ``tesseract-ocr-jpn`` (the Japanese model is a
  Debian package), driven through ``pytesseract``: one process per document.
* ``RapidOcrEngine`` — ``rapidocr-onnxruntime`` (PaddleOCR's PP-OCRv4 models inside the PyPI wheel,
  ONNX Runtime on the CPU). Its shipped recogniser is the Chinese one: kanji and digits read well,
  kana less so (``python -m bench counter_ocr`` compares the two). Optional (``pip install
  '.[ocr-compare]'``).

easyocr was not taken: its Japanese weights are downloaded from the network at first use and no
registry package ships them (only English weights are packaged), which the counter's network forbids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PIL import Image


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0..1
    box: tuple[int, int, int, int]  # left, top, width, height in the image given


class Engine(Protocol):
    name: str

    def read(self, image: Image.Image) -> list[Word]: ...


class TesseractEngine:
    name = "tesseract"

    def __init__(self, lang: str = "jpn+eng", psm: int = 6) -> None:
        self.lang, self.config = lang, f"--psm {psm} -c preserve_interword_spaces=1"

    def read(self, image: Image.Image) -> list[Word]:
        return self._read(image, self.config)

    def single_line(self, image: Image.Image, *, japanese: bool = False) -> list[Word]:
        """One field alone, as one line (``--psm 7``): for what the page-level read dropped or took
        for latin letters (``japanese``: with the Japanese model only)."""
        lang = "jpn" if japanese else self.lang
        return self._read(image, "--psm 7", lang) or self._read(image, "--psm 10", lang)  # 10: one character

    def _read(self, image: Image.Image, config: str, lang: str | None = None) -> list[Word]:
        import pytesseract

        data = pytesseract.image_to_data(image, lang=lang or self.lang, config=config,
                                         output_type=pytesseract.Output.DICT)
        words = []
        for text, conf, left, top, width, height in zip(data["text"], data["conf"], data["left"], data["top"],
                                                        data["width"], data["height"], strict=True):
            if text and text.strip() and float(conf) >= 0:
                words.append(Word(text.strip(), float(conf) / 100, (left, top, width, height)))
        return words


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self._ocr = RapidOCR()

    def read(self, image: Image.Image) -> list[Word]:
        import numpy as np

        result, _ = self._ocr(np.asarray(image.convert("RGB")))
        words = []
        for points, text, score in result or []:
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            words.append(Word(str(text), float(score), (int(min(xs)), int(min(ys)),
                                                         int(max(xs) - min(xs)), int(max(ys) - min(ys)))))
        return words


def available(name: str) -> Engine:
    if name == "tesseract":
        return TesseractEngine()
    if name == "rapidocr":
        return RapidOcrEngine()
    raise ValueError(f"unknown OCR engine {name!r} (tesseract, rapidocr)")
