"""What the counter's staff API needs besides the database: the town's layouts, the OCR engine, the
届書's print layout and the QR keys (``admin_api.counter_views`` reads it as ``call.ctx.counter``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civic.counter.ocr.engines import Engine
from civic.counter.ocr.layouts import Layout, load_dir
from civic.counter.pdf import FormLayout
from civic.counter.related import RelatedTemplate, load_templates

#: OCR is CPU-bound: at most this many documents are read at once (the spec's 4 terminals share 2 cores).
OCR_AT_ONCE = 2


@dataclass
class CounterDesk:
    layouts: dict[str, Layout]
    engine_factory: Callable[[], Engine]
    form_layout: FormLayout = field(default_factory=FormLayout)
    #: Opens the resident's QR code (``civic.procedures.payload.QrKeyring``); None: no key installed.
    qr_keys: Any = None
    #: The town's related application forms (関連申請書: Excel templates with their cell mappings).
    related: dict[str, RelatedTemplate] = field(default_factory=dict)
    _engine: Engine | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _slots: asyncio.Semaphore | None = None

    @classmethod
    def for_town(cls, town_dir: Path, engine_factory: Callable[[], Engine], qr_keys: Any = None) -> CounterDesk:
        return cls(load_dir(town_dir / "counter" / "layouts"), engine_factory,
                   FormLayout.load(town_dir / "counter" / "form.json"), qr_keys,
                   load_templates(town_dir / "counter" / "related"))

    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = self.engine_factory()
            return self._engine

    @property
    def slots(self) -> asyncio.Semaphore:
        if self._slots is None:
            self._slots = asyncio.Semaphore(OCR_AT_ONCE)
        return self._slots
