"""``BookingService``: what a dialogue (and the LIFF page) calls to book a facility.

Who commits: every change has a session-taking method (``reserve_in(session, …)``, ``cancel_in``, …)
that works in the caller's transaction: a dialogue turn passes ``ctx.session`` (on SQLite the turn
already holds the write lock), so a reservation and the answer announcing it commit together. The
methods without a session (``reserve``, ``cancel``, …) are for callers without a transaction of
their own (tests, scripts): they open ``db.write()``, call the session-taking method and commit. The
LIFF page's views open ``db.write()`` themselves and call the ``*_in`` methods. Reads open
their own read transactions (the catalogue is cached). Results are plain values (civic.booking.types)::

    units = await svc.find_units("アリーナ 半面")
    slots = await svc.available_frames(units[0].unit_id, date(2026, 12, 5))
    booker = await svc.booker("Uxxxx", resident_type="resident")
    request = BookingRequest(unit_id, day, slot.start_minute, slot.end_minute, people=12,
                             purpose="バレーボール", terms_accepted=True)
    quote = await svc.quote(request, booker)            # fee and any rule violations
    match await svc.reserve(request, booker):
        case Reserved(number=n): ...                    # 予約番号
        case SlotTaken(alternatives=alts): ...          # just taken: offer alternatives / waitlist
        case Refused(violations=v): ...                 # explain, in Japanese

Staff operations (with the operation log) use civic.booking.reservations inside their own
transaction; reminders and offer expiry are civic.booking.tasks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import jaconv
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking.availability import load_availability
from civic.booking.bookers import profile_of, save_profile
from civic.booking.ledger import equipment_of, load_for_unit, unknown_unit
from civic.booking.models import (
    CANCELLED,
    HOLDING,
    REJECTED,
    SOURCE_CHAT,
    STATUS_LABELS,
    BookerProfile,
    Reservation,
)
from civic.booking.notify import CitizenNotifier
from civic.booking.occupancy import conflicts
from civic.booking.reservations import (
    by_number,
    cancel_in,
    change_in,
    citizen_may_cancel,
    citizen_may_change,
    reserve_in,
)
from civic.booking.rules import check_all
from civic.booking.types import (
    BLOCKED,
    CLOSED_ONLINE,
    FREE,
    NOT_OPEN,
    Booker,
    BookingRequest,
    Cancelled,
    DayMark,
    Quote,
    Refused,
    ReservationView,
    Reserved,
    Slot,
    SlotTaken,
    UnitInfo,
    Violation,
    WaitlistJoined,
)
from civic.booking.waitlist import accept_offer_in, decline_offer_in, join_in
from civic.clock import Clock
from civic.database import Database
from civic.facilities.catalogue import Catalogue, CatalogueCache, FacilityBundle, load_catalogue
from civic.facilities.models import PRIVATE, RESIDENT, RESIDENT_TYPES, Unit

CATEGORY_WORDS = {
    "gymnasium": "体育館 たいいくかん ジム バレー バスケ バドミントン",
    "arena": "体育館 アリーナ たいいくかん",
    "budokan": "武道館 ぶどうかん 柔道 剣道 空手",
    "field": "グラウンド グランド 運動場 球技場 広場 野球 サッカー ソフトボール",
    "park": "運動公園 公園 グラウンド",
    "multipurpose": "多目的広場 広場 グラウンドゴルフ",
    "campsite": "キャンプ場 キャンプ バーベキュー",
    "tennis": "テニスコート テニス",
    "dog_run": "ドッグラン ドックラン 犬",
}


def normalize(text: str) -> str:
    """Width, kana and case folded, spaces removed: 「ｱﾘｰﾅ」「ありーな」 and 「アリーナ」 compare equal."""
    text = jaconv.h2z(text, kana=True, ascii=False, digit=False)
    text = jaconv.z2h(text, kana=False, ascii=True, digit=True)
    return jaconv.hira2kata(text).lower().replace(" ", "").replace("　", "")


def unit_info(bundle: FacilityBundle, unit: Unit) -> UnitInfo:
    return UnitInfo(bundle.id, bundle.facility.name, unit.id or 0, unit.name, bundle.facility.category,
                    unit.visibility, unit.booking_mode, unit.capacity, tuple(bundle.purposes_for(unit.id or 0)))


class BookingService:
    def __init__(self, db: Database, clock: Clock, notifier: CitizenNotifier | None = None) -> None:
        self.db, self.clock, self.notifier = db, clock, notifier
        self._catalogue = CatalogueCache()

    # ---- catalogue -------------------------------------------------------------------------

    async def catalogue(self) -> Catalogue:
        """Facilities for display (cached while nothing changed; booking itself reads fresh rows)."""
        async with self.db.read() as s:
            return await self._catalogue.get(s)

    async def find_units(self, facility_query: str = "") -> list[UnitInfo]:
        """Citizen-visible units whose facility or unit matches every word of the query."""
        words = [normalize(w) for w in facility_query.replace("　", " ").split() if w.strip()]
        out: list[UnitInfo] = []
        for bundle in (await self.catalogue()).ordered():
            f = bundle.facility
            if f.visibility == PRIVATE:
                continue
            facility_text = normalize(" ".join([f.name, f.kana, f.code, f.category,
                                                CATEGORY_WORDS.get(f.category, "")]))
            for unit in bundle.citizen_units():
                text = facility_text + normalize(f"{unit.name} {unit.code} {unit.kind}")
                if all(w in text for w in words):
                    out.append(unit_info(bundle, unit))
        return out

    async def booker(self, channel_user_id: str, *, resident_type: str | None = None, name: str | None = None,
                     phone: str | None = None) -> Booker:
        """The citizen as a booker: attributes staff verified (利用者登録) plus what they declare now."""
        async with self.db.read() as s:
            return await self.booker_in(s, channel_user_id, resident_type=resident_type, name=name, phone=phone)

    @staticmethod
    async def booker_in(session: AsyncSession, channel_user_id: str, *, resident_type: str | None = None,
                        name: str | None = None, phone: str | None = None) -> Booker:
        """As ``booker``, read in the caller's transaction (a turn sees a resident type it saved)."""
        profile = (await session.exec(select(BookerProfile).where(
            BookerProfile.channel_user_id == channel_user_id))).first()
        rt = resident_type or (profile.resident_type if profile else None) or RESIDENT
        return Booker(channel_user_id, rt if rt in RESIDENT_TYPES else RESIDENT,
                      frozenset(profile.attributes if profile else ()),
                      name or (profile.name if profile else None), phone or (profile.phone if profile else None))

    async def save_profile(self, channel_user_id: str, *, name: str | None, phone: str | None,
                           resident_type: str | None) -> None:
        """Remember the citizen's name, phone and resident type for the next booking."""
        async with self.db.write() as s:
            await save_profile(s, channel_user_id, self.clock.now(), name=name, phone=phone,
                               resident_type=resident_type)

    @staticmethod
    async def resident_type_in(session: AsyncSession, channel_user_id: str) -> str | None:
        """The resident type the citizen declared before (None: never asked)."""
        profile = await profile_of(session, channel_user_id)
        return profile.resident_type if profile is not None and profile.resident_type in RESIDENT_TYPES else None

    @staticmethod
    async def remember_resident_in(session: AsyncSession, channel_user_id: str, resident_type: str,
                                   now: datetime) -> None:
        """Save the declared resident type, keeping the name and phone already remembered."""
        profile = await profile_of(session, channel_user_id)
        await save_profile(session, channel_user_id, now, name=profile.name if profile else None,
                           phone=profile.phone if profile else None, resident_type=resident_type)

    # ---- availability ----------------------------------------------------------------------

    async def available_frames(self, unit_id: int, day: date) -> list[Slot]:
        """Every frame of the unit that day with its status; ``slot.free`` ones can be booked now."""
        async with self.db.read() as s:
            bundle = (await self._catalogue.get(s)).bundle_of_unit(unit_id)
            if bundle is None:
                return []
            avail = (await load_availability(s, [bundle], day, day, self.clock.now()))[bundle.id]
        unit = bundle.unit(unit_id)
        assert unit is not None
        return avail.slots(unit, day)

    async def month(self, unit_id: int, year: int, month: int) -> list[DayMark]:
        first = date(year, month, 1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        async with self.db.read() as s:
            bundle = (await self._catalogue.get(s)).bundle_of_unit(unit_id)
            if bundle is None:
                return []
            avail = (await load_availability(s, [bundle], first, last, self.clock.now()))[bundle.id]
        unit = bundle.unit(unit_id)
        assert unit is not None
        return avail.month(unit, year, month)

    async def month_for_all(self, year: int, month: int) -> dict[int, list[DayMark]]:
        """Marks of every citizen-visible unit of every public facility for a month (unit id → days)."""
        first = date(year, month, 1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        async with self.db.read() as s:
            bundles = [b for b in (await self._catalogue.get(s)).ordered() if b.facility.visibility != PRIVATE]
            avail = await load_availability(s, bundles, first, last, self.clock.now())
        return {u.id or 0: avail[b.id].month(u, year, month) for b in bundles for u in b.citizen_units()}

    async def alternatives(self, request: BookingRequest, limit: int = 5, *, for_staff: bool = False,
                           ) -> tuple[Slot, ...]:
        """Free slots near the one asked for: other units at that time (the other half court), other
        frames of that day, then the same frame on the following week's days. Staff may also book
        blocked periods and outside the online booking window."""
        ok = {FREE, BLOCKED, NOT_OPEN, CLOSED_ONLINE} if for_staff else {FREE}
        now = self.clock.now()
        async with self.db.read() as s:
            loaded = await load_for_unit(s, request.unit_id, request.day, days=8, cache=self._catalogue)
            if loaded is None:
                return ()
            avail = (await load_availability(s, [loaded.bundle], request.day, request.day + timedelta(days=7),
                                             now))[loaded.bundle.id]
        found: list[Slot] = []
        for unit in loaded.bundle.citizen_units():
            if unit.id != request.unit_id and unit.booking_mode == loaded.unit.booking_mode:
                found += [sl for sl in avail.slots(unit, request.day)
                          if sl.status in ok and (sl.start_minute, sl.end_minute) == (request.start_minute, request.end_minute)]
        found += [sl for sl in avail.slots(loaded.unit, request.day) if sl.status in ok]
        for offset in range(1, 8):
            day = request.day + timedelta(days=offset)
            found += [sl for sl in avail.slots(loaded.unit, day)
                      if sl.status in ok and sl.start_minute == request.start_minute]
        return tuple(found[:limit])

    # ---- booking ---------------------------------------------------------------------------

    async def quote(self, request: BookingRequest, booker: Booker) -> Quote:
        """The fee (shown before confirmation, 表3 no.25 / 表4 no.7) and anything that would refuse it."""
        now = self.clock.now()
        async with self.db.read() as s:
            loaded = await load_for_unit(s, request.unit_id, request.day, cache=self._catalogue)
            if loaded is None:
                return Quote(0, (), (unknown_unit(),))
            violations = await check_all(loaded.context(s, request, booker, now))
            if not violations and await conflicts(s, loaded.bundle, request.unit_id, request.starts_at,
                                                  request.ends_at):
                violations.append(Violation("taken", "その枠はすでに予約されています。", "start_minute"))
            lines = loaded.fee_lines(request, booker.resident_type)
        return Quote(sum(line.amount for line in lines), tuple(lines), tuple(violations))

    async def reserve(self, request: BookingRequest, booker: Booker, *,
                      source: str = SOURCE_CHAT) -> Reserved | SlotTaken | Refused:
        async with self.db.write() as s:
            result = await self.reserve_in(s, request, booker, self.clock.now(), source=source, alternatives=False)
        return await self._with_alternatives(result, request)

    async def reserve_in(self, session: AsyncSession, request: BookingRequest, booker: Booker, now: datetime, *,
                         source: str = SOURCE_CHAT, alternatives: bool = True) -> Reserved | SlotTaken | Refused:
        """Book in the caller's transaction; a slot just taken comes with alternatives (unless not wanted yet)."""
        result = await reserve_in(session, request, booker, now, source=source, cache=self._catalogue)
        return await self._with_alternatives(result, request) if alternatives else result

    async def change(self, booker: Booker, number: str, request: BookingRequest) -> Reserved | SlotTaken | Refused:
        async with self.db.write() as s:
            result = await change_in(s, number, request, booker, self.clock.now(), notifier=self.notifier,
                                     cache=self._catalogue)
        return await self._with_alternatives(result, request)

    async def reschedule(self, booker: Booker, number: str, *, day: date, start_minute: int, end_minute: int,
                         unit_id: int | None = None) -> Reserved | SlotTaken | Refused:
        """Move a reservation to another time (or unit of the same facility), keeping everything else."""
        async with self.db.write() as s:
            result, request = await self._reschedule(s, booker, number, day, start_minute, end_minute, unit_id,
                                                     self.clock.now(), keep_equipment=True)
        return await self._with_alternatives(result, request) if request is not None else result

    async def reschedule_in(self, session: AsyncSession, booker: Booker, number: str, *, day: date,
                            start_minute: int, end_minute: int, unit_id: int | None,
                            now: datetime, keep_equipment: bool = False) -> Reserved | SlotTaken | Refused:
        """As ``reschedule``, in the caller's transaction; the equipment is kept only on the same unit
        unless ``keep_equipment`` (the LIFF page's choice). ``unit_id=None``: the same unit."""
        result, request = await self._reschedule(session, booker, number, day, start_minute, end_minute, unit_id,
                                                 now, keep_equipment=keep_equipment)
        return await self._with_alternatives(result, request) if request is not None else result

    async def _reschedule(self, s: AsyncSession, booker: Booker, number: str, day: date, start_minute: int,
                          end_minute: int, unit_id: int | None, now: datetime, *, keep_equipment: bool,
                          ) -> tuple[Reserved | SlotTaken | Refused, BookingRequest | None]:
        r = await by_number(s, number)
        if r is None or r.channel_user_id != booker.channel_user_id:
            return Refused((Violation("not_found", "ご指定の予約が見つかりません。", "number"),)), None
        target = unit_id or r.unit_id
        equipment = ((await equipment_of(s, [r.id or 0])).get(r.id or 0, {})
                     if keep_equipment or target == r.unit_id else {})
        request = BookingRequest(target, day, start_minute, end_minute, r.people, r.purpose, r.activity, equipment,
                                 True)
        result = await change_in(s, number, request, replace(booker, resident_type=r.resident_type), now,
                                 notifier=self.notifier, cache=self._catalogue)
        return result, request

    async def _with_alternatives(self, result: Reserved | SlotTaken | Refused,
                                 request: BookingRequest) -> Reserved | SlotTaken | Refused:
        """A slot just taken comes with alternatives, read apart from the caller's transaction (committed
        state: the slot's holder is in it, nothing of an unfinished turn is)."""
        if isinstance(result, SlotTaken):
            return SlotTaken(await self.alternatives(request), result.message, result.waitlist_available)
        return result

    async def cancel(self, booker: Booker, number: str) -> Cancelled | Refused:
        async with self.db.write() as s:
            return await self.cancel_in(s, booker, number, self.clock.now())

    async def cancel_in(self, session: AsyncSession, booker: Booker, number: str,
                        now: datetime) -> Cancelled | Refused:
        return await cancel_in(session, number, booker, now, notifier=self.notifier)

    async def join_waitlist(self, request: BookingRequest, booker: Booker) -> WaitlistJoined | Refused:
        async with self.db.write() as s:
            return await self.join_waitlist_in(s, request, booker, self.clock.now())

    @staticmethod
    async def join_waitlist_in(session: AsyncSession, request: BookingRequest, booker: Booker,
                               now: datetime) -> WaitlistJoined | Refused:
        return await join_in(session, request, booker, now)

    async def accept_offer(self, channel_user_id: str, number: str) -> Reserved | Refused:
        async with self.db.write() as s:
            return await self.accept_offer_in(s, channel_user_id, number, self.clock.now())

    @staticmethod
    async def accept_offer_in(session: AsyncSession, channel_user_id: str, number: str,
                              now: datetime) -> Reserved | Refused:
        return await accept_offer_in(session, channel_user_id, number, now)

    async def decline_offer(self, channel_user_id: str, number: str) -> Cancelled | Refused:
        async with self.db.write() as s:
            return await self.decline_offer_in(s, channel_user_id, number, self.clock.now())

    async def decline_offer_in(self, session: AsyncSession, channel_user_id: str, number: str,
                               now: datetime) -> Cancelled | Refused:
        return await decline_offer_in(session, channel_user_id, number, now, self.notifier)

    # ---- my bookings -----------------------------------------------------------------------

    async def my_reservations(self, channel_user_id: str, *, include_past: bool = False) -> list[ReservationView]:
        """Upcoming (or all) reservations of the citizen, soonest first; recent staff cancellations too."""
        now = self.clock.now()
        async with self.db.read() as s:
            q = select(Reservation).where(Reservation.channel_user_id == channel_user_id,
                                          col(Reservation.status).in_((*HOLDING, CANCELLED, REJECTED)))
            if not include_past:
                q = q.where(Reservation.ends_at > now)
            rows = [r for r in (await s.exec(q.order_by(col(Reservation.starts_at)))).all()
                    if r.status in HOLDING or include_past or r.cancelled_by == "staff"]
            catalogue = await load_catalogue(s, {r.facility_id for r in rows})
            equipment = await equipment_of(s, [r.id for r in rows if r.id is not None])
        return [self._view(r, catalogue.facilities[r.facility_id], equipment.get(r.id or 0, {}), now) for r in rows]

    async def reservation(self, channel_user_id: str, number: str) -> ReservationView | None:
        async with self.db.read() as s:
            r = await by_number(s, number)
            if r is None or r.channel_user_id != channel_user_id:
                return None
            catalogue = await load_catalogue(s, [r.facility_id])
            equipment = await equipment_of(s, [r.id or 0])
        return self._view(r, catalogue.facilities[r.facility_id], equipment.get(r.id or 0, {}), self.clock.now())

    @staticmethod
    def _view(r: Reservation, bundle: FacilityBundle, equipment: dict[int, int], now: datetime) -> ReservationView:
        unit = bundle.unit(r.unit_id)
        items = {e.id: e for e in bundle.equipment}
        eq = tuple((items[eid].name, qty, items[eid].unit_label) for eid, qty in sorted(equipment.items())
                   if eid in items)
        return ReservationView(
            r.number or "", bundle.id, bundle.facility.name, r.unit_id, unit.name if unit else "", r.day,
            r.start_minute, r.end_minute, r.status, STATUS_LABELS.get(r.status, r.status), r.people, r.purpose,
            r.fee, eq, citizen_may_change(bundle.facility, r, now), citizen_may_cancel(bundle.facility, r, now),
            r.offer_expires_at, r.cancel_reason if r.cancelled_by == "staff" else None)

