"""What the flows need: the town's knowledge (built once at start-up) and the service's parts.

``Knowledge.build(town_dir)`` trains the NLU interpreter (or loads a persisted model), indexes
the FAQ and the garbage dictionary and reads the collection calendar and the town's settings —
seconds of work, done once when the service starts, never per turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Protocol

import yaml
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking.services import BookingService
from civic.clock import Clock
from civic.handover.hours import OfficeHours
from civic.notify import CitizenNotifier
from civic.procedures.tree import Content as ProcedureContent
from civic.reports.photos import PhotoPolicy
from conversation.policy import ConfidencePolicy
from dialogues.collection_calendar import CollectionCalendar
from dialogues.engine import DEFAULT_TIMEOUT
from dialogues.facility_directory import FacilityDirectory
from dialogues.geocoding import Geocoder, OfflineGeocoder, TownArea
from nlu.emergency import EmergencyDetector
from nlu.encoder import EmbeddingCache
from nlu.faq_retrieval import FaqEntry, FaqIndex
from nlu.garbage_lookup import GarbageDictionary
from nlu.interpreter import Interpreter
from nlu.language import LanguageDetector
from nlu.normalize import Morphology
from nlu.training_data import load_training_data

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportCategory:
    code: str
    label: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class TownProfile:
    name: str
    contact: str
    area: TownArea
    address_prefixes: tuple[str, ...] = ()
    faq_contact: str = ""
    #: Where residents get help in other languages (issue #21), shown with notes in their language.
    multilingual_contact: str = ""
    garbage_contact: str = ""
    garbage_deadline: time = time(8, 30)
    report_contact: str = ""
    report_categories: tuple[ReportCategory, ...] = ()
    max_description: int = 200
    facility_settings: dict[str, Any] = field(default_factory=dict)
    #: When staff answer hand-overs (有人チャット, issue #17): ``handover:`` in town.yml.
    handover_hours: OfficeHours = field(default_factory=OfficeHours)

    @classmethod
    def load(cls, path: str | Path) -> TownProfile:
        raw: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        area = raw.get("area") or {}
        faq, garbage, reports = raw.get("faq") or {}, raw.get("garbage") or {}, raw.get("reports") or {}
        facilities = raw.get("facilities") or {}
        contact = str(raw.get("contact") or "")
        hh, _, mm = str(garbage.get("deadline") or "08:30").partition(":")
        return cls(
            name=str(raw.get("town") or ""),
            contact=contact,
            area=TownArea(float(area.get("latitude", 0.0)), float(area.get("longitude", 0.0)),
                          float(area.get("radius_km", 10.0))),
            address_prefixes=tuple(str(p) for p in raw.get("address_prefixes") or ()),
            faq_contact=str(faq.get("contact") or contact),
            multilingual_contact=str(faq.get("multilingual_contact") or ""),
            garbage_contact=str(garbage.get("contact") or contact),
            garbage_deadline=time(int(hh or 8), int(mm or 0)),
            report_contact=str(reports.get("contact") or contact),
            report_categories=tuple(
                ReportCategory(str(c["code"]), str(c["label"]), tuple(str(k) for k in c.get("keywords") or ()))
                for c in reports.get("categories") or ()
            ),
            max_description=int(reports.get("max_description", 200)),
            facility_settings=dict(facilities),
            handover_hours=OfficeHours.from_settings(raw.get("handover")),
        )

    def category(self, code: str) -> ReportCategory | None:
        return next((c for c in self.report_categories if c.code == code), None)


@dataclass
class Knowledge:
    interpreter: Interpreter
    faq: FaqIndex
    town: TownProfile
    geocoder: Geocoder
    garbage: GarbageDictionary | None = None
    calendar: CollectionCalendar | None = None
    garbage_categories: dict[str, str] = field(default_factory=dict)  # category -> description
    facilities: FacilityDirectory | None = None
    #: 119 / 110 messages: the built-in words plus the town's ``nlu/emergency.yml``.
    emergency: EmergencyDetector = field(default_factory=EmergencyDetector.load)
    language: LanguageDetector = field(default_factory=LanguageDetector)

    @property
    def faq_entries(self) -> dict[str, FaqEntry]:
        """By id, for the index in use (``faq`` is swapped when staff publish a change)."""
        index = self.faq
        cached = getattr(self, "_entries", None)
        if cached is None or cached[0] is not index:
            cached = (index, {e.id: e for e in index.entries})
            self._entries = cached
        return cached[1]

    @classmethod
    def build(cls, town_dir: str | Path, *, model_dir: str | Path | None = None,
              garbage_dir: str | Path | None = None, morphology: Morphology | None = None,
              progress: Callable[[str], None] | None = None, encoder: EmbeddingCache | None = None) -> Knowledge:
        """Everything from ``content/<town>/``. With ``model_dir`` holding a persisted model the
        interpreter is loaded; otherwise it is trained (and persisted there when a dir is given).
        ``encoder`` (``nlu.encoder.load_encoder``) makes FAQ search and intents use meaning too."""
        town_dir = Path(town_dir)
        say = progress or log.info
        morphology = morphology or Morphology()
        training = load_training_data(town_dir / "nlu")
        interpreter = None
        if model_dir is not None and (Path(model_dir) / "metadata.json").is_file():
            try:
                interpreter = Interpreter.load(model_dir, morphology=morphology, encoder=encoder)
                if encoder is not None and interpreter.semantic is None:
                    raise ValueError("no semantic intent model for this encoder")
                say(f"NLU model loaded from {model_dir}")
            except (ValueError, FileNotFoundError) as exc:
                log.warning("NLU model in %s not usable (%s); training", model_dir, exc)
        faq_entries = yaml.safe_load((town_dir / "faq.yml").read_text(encoding="utf-8")) or []
        if interpreter is None:
            interpreter = Interpreter.train(training, morphology=morphology, progress=say, encoder=encoder,
                                            semantic_examples={"faq": faq_questions(faq_entries)})
            if model_dir is not None:
                interpreter.persist(model_dir)
        faq = FaqIndex(faq_entries, synonyms=training.synonyms, morphology=morphology, encoder=encoder)
        town = TownProfile.load(town_dir / "dialogues" / "town.yml")
        places = town_dir / "dialogues" / "places.csv"
        geocoder: Geocoder = OfflineGeocoder.from_csv(places, prefixes=town.address_prefixes) if places.is_file() \
            else OfflineGeocoder([], prefixes=town.address_prefixes)
        interpreter.set_home_places([town.name, *_place_names(places)])
        gdir = Path(garbage_dir) if garbage_dir is not None else town_dir / "garbage"
        garbage = calendar = None
        descriptions: dict[str, str] = {}
        if (gdir / "target.csv").is_file():
            synonyms = dict(training.synonyms)
            if (gdir / "synonyms.csv").is_file():
                synonyms.update(GarbageDictionary.load_synonyms_csv(gdir / "synonyms.csv"))
            garbage = GarbageDictionary.from_csv(gdir / "target.csv", synonyms=synonyms, morphology=morphology)
        if (gdir / "area_days.csv").is_file():
            calendar = CollectionCalendar.load(gdir)
        if (gdir / "description.csv").is_file():
            descriptions = _descriptions(gdir / "description.csv")
        say(f"knowledge ready: {len(faq.entries)} FAQ entries, "
            f"{len(garbage.items) if garbage else 0} garbage items, "
            f"{len(calendar.areas) if calendar else 0} collection areas")
        facilities = FacilityDirectory.from_settings(town.facility_settings) if town.facility_settings else None
        emergency = EmergencyDetector.load(town_dir / "nlu" / "emergency.yml")
        return cls(interpreter, faq, town, geocoder, garbage, calendar, descriptions, facilities, emergency)


def faq_questions(entries: list[dict[str, Any]]) -> list[str]:
    """Every question and alternative phrasing of the FAQ: what ``faq`` means to the meaning model."""
    return [str(q) for e in entries for q in [e.get("question"), *(e.get("alternatives") or ())] if q]


def _place_names(path: Path) -> list[str]:
    """The town's own place names (places.csv ``name``): 「本町の公園」 is ours, 「横浜市の」 is not."""
    import csv

    if not path.is_file():
        return []
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [row["name"] for row in csv.DictReader(f) if row.get("name")]


def _descriptions(path: Path) -> dict[str, str]:
    """5374 ``description.csv``: ``label,sublabel,description,…`` → label: description."""
    import csv

    out: dict[str, str] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            if len(row) >= 3 and row[0].strip() and row[0].strip() != "label":
                out[row[0].strip()] = row[2].strip()
    return out


class CitizenMenus(Protocol):
    """A citizen's rich menu follows their segments: ``relink_after_commit`` once the transaction
    that changed their attributes (the turn's) has committed (``bot.menu_relink.MenuRelinker``)."""

    def relink_after_commit(self, session: AsyncSession, channel_user_id: str) -> None: ...


@dataclass
class Services:
    """Per service instance: the knowledge plus the parts that talk to the outside."""

    knowledge: Knowledge
    notifier: CitizenNotifier | None = None
    photo_policy: PhotoPolicy = field(default_factory=PhotoPolicy)
    timeout: timedelta = DEFAULT_TIMEOUT
    #: Where the service is reachable from citizens' phones (map pages, thumbnails).
    public_base_url: str = ""
    #: The service's clock, for work done before a turn (parsing relative dates).
    clock: Clock | None = None
    #: Facility booking (the booking flow is offered when set).
    booking: BookingService | None = None
    #: The town's 手続きナビ content (the procedure flow is offered when set).
    procedures: ProcedureContent | None = None
    #: Per-segment rich menus (a citizen's chat answers to a form relink theirs when set).
    menus: CitizenMenus | None = None
    #: LIFF app ids of the citizen pages (booking, procedures, forms): see ``page_url``.
    liff_ids: dict[str, str] = field(default_factory=dict)
    #: How sure the NLU must be before the router acts on an intent (``CONFIDENCE_*`` settings).
    policy: ConfidencePolicy = field(default_factory=ConfidencePolicy)

    def page_url(self, page: str, query: str = "", fragment: str = "") -> str:
        """The link a URI button opens for a citizen page (``liff/<page>/``): the LIFF URL
        ``https://liff.line.me/<id>`` when the page is a LIFF app, so LINE opens it inside the chat
        with the citizen logged in; else its address under ``public_base_url``; '' without either."""
        liff_id = self.liff_ids.get(page)
        if liff_id:
            url = f"https://liff.line.me/{liff_id}"
        elif self.public_base_url:
            url = f"{self.public_base_url.rstrip('/')}/liff/{page}/"
        else:
            return ""
        return url + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")

    @property
    def town(self) -> TownProfile:
        return self.knowledge.town
