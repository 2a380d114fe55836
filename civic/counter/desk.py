"""What the counter's staff API needs besides the database: the town's layouts, the OCR engine, the
届書's print layout and the QR keys (``admin_api.counter_views`` reads it as ``call.ctx.counter``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from civic.counter.addresses import AddressIndex
from civic.counter.addresses import index as address_index
from civic.counter.departments import Departments, load_departments
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
    #: The town's own 町名 for the address picker: (address prefix, 〒 → 町名), from procedures/town.yaml.
    town_areas: tuple[str, dict[str, str]] = ("", {})
    #: 担当課 of each 届出 kind and related form, for the report by department (§(4) j).
    departments: Departments = field(default_factory=Departments)
    _addresses: Any = None
    _engine: Engine | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _slots: asyncio.Semaphore | None = None

    @classmethod
    def for_town(cls, town_dir: Path, engine_factory: Callable[[], Engine], qr_keys: Any = None) -> CounterDesk:
        related = load_templates(town_dir / "counter" / "related")
        return cls(load_dir(town_dir / "counter" / "layouts"), engine_factory,
                   FormLayout.load(town_dir / "counter" / "form.json"), qr_keys, related, _town_areas(town_dir),
                   load_departments(town_dir / "counter" / "departments.json", set(related)))

    def addresses(self) -> AddressIndex:
        """Japan Post's index (shared) with the town's own 町名 added; built on first use."""
        with self._lock:
            if self._addresses is None:
                from civic.procedures.kana import SudachiKanaReader

                prefix, areas = self.town_areas
                self._addresses = address_index().with_town(prefix, areas, SudachiKanaReader().reading)
            return self._addresses

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


def _town_areas(town_dir: Path) -> tuple[str, dict[str, str]]:
    path = town_dir / "procedures" / "town.yaml"
    if not path.is_file():
        return "", {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    codes = raw.get("postal_codes") or {}
    return str(raw.get("address_prefix", "")), {str(k): str(v or "") for k, v in codes.items()}
