"""``AdminContext``: everything the staff API's views depend on, built once by the composition root.

Views are module-level functions (``@router.route(...)`` on a module's ``router``); they find their
dependencies on the call, ``call.ctx.db``, ``call.ctx.clock``, ``call.ctx.bookings`` …, never in a
closure. The context is stored under one key of the admin app (``keys.ADMIN_CONTEXT``)::

    ctx = AdminContext(db, clock, auditor=Auditor(db, clock), booking_notices=notices, sessions=sessions, ...)
    app = create_admin_app(authenticator, [booking_views.router, facility_views.router, ...], context=ctx)

A feature moving to the context adds its dependency here as an optional field (``None``: the feature is
not wired, and its views answer 503) and reads it through ``call.ctx.need(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from admin_api.errors import ApiError
from civic.clock import Clock
from civic.database import Database

if TYPE_CHECKING:
    from admin_api.live_content import LiveContent
    from civic.booking.notify import CitizenNotifier
    from civic.booking.services import BookingService
    from civic.counter.desk import CounterDesk
    from civic.deliveries.services import DeliveryDesk
    from civic.deliveries.stats import OpenStatistics
    from civic.handover.feed import HandoverFeed
    from civic.notify import CitizenNotifier as HandoverNotifier
    from civic.procedures.payload import QrKeyring
    from civic.procedures.tree import Content
    from civic.staff.audit import Auditor
    from civic.staff.privacy import Pseudonymizer
    from civic.staff.sessions import StaffSessions
    from richmenus.editor import EditorOptions
    from richmenus.line_api import LineApiFactory
    from richmenus.publish import RichMenuPublisher

T = TypeVar("T")


@dataclass
class ReportsConfig:
    """What the road-damage report views need besides the database (酒田市 spec 第5章 1(6))."""

    #: Tells the reporter of progress (``civic.reports`` notifier); ``None``: nobody is told.
    notifier: Any = None
    categories: dict[str, str] = field(default_factory=dict)
    town: str = ""
    photo_path: Callable[[int], str] | None = None
    #: Removes personal data from a description proposed for publication (the service's finds names too).
    redact: Callable[[str | None], str | None] | None = None
    #: The inbox map's background (``liff.map.TileServer``: url, attribution, attribution_url, max_zoom) and
    #: the town's centre (latitude, longitude); ``None``: 地理院タイル and no centre.
    tiles: Any = None
    center: tuple[float, float] | None = None


@dataclass
class AdminContext:
    """The staff API's dependencies (one per service, shared by every request)."""

    db: Database
    clock: Clock
    #: The operation log: ``Call.audit`` writes every change's one entry through it, in the change's transaction.
    auditor: Auditor | None = None
    #: Tells citizens of staff changes to their bookings (a LINE message after commit).
    booking_notices: CitizenNotifier | None = None
    #: The service's one ``BookingService``; built from ``db``/``clock``/``booking_notices`` when not given.
    booking_service: BookingService | None = None
    sessions: StaffSessions | None = None
    publisher: RichMenuPublisher | None = None
    #: LINE's own figures (followers, rich-menu clicks) for the statistics views.
    line_apis: LineApiFactory | None = None
    #: The town's kinds of facility, code → staff's and citizens' word (``town.yml`` ``facilities.labels``):
    #: the 施設の設定 page names kinds with them and offers them when a facility is registered.
    facility_kinds: Mapping[str, str] = field(default_factory=dict)
    #: The procedure-navigation content (life events, procedures) the access counts are labelled with.
    procedures: Content | None = None
    qr_keys: QrKeyring | None = None
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    #: ``{entry id: question}`` of the FAQ in use (labels for the FAQ figures); the service gives a live view of
    #: the index the bot answers from (``bot.content_reload.LiveFaqQuestions``), tests a plain dict.
    faq_questions: Mapping[str, str] | None = None
    #: The FAQ entry ids a scenario may point to (``None``: not checked).
    faq_ids: frozenset[str] | None = None
    #: Checks and schedules deliveries (the town's limits); ``None``: the defaults (``desk``).
    delivery_desk: DeliveryDesk | None = None
    #: LINE's open counts of past deliveries; ``None``: not available (``opens``).
    delivery_opens: OpenStatistics | None = None
    #: Wakes the delivery scheduler after a change that may make something due now.
    wake_deliveries: Callable[[], None] | None = None
    #: Where the service is reached from outside (the URLs of uploaded images, served at ``/media``).
    public_base_url: str = ""
    #: What the rich-menu editor offers (simulator link, LIFF ids); ``None``: the defaults.
    editor_options: EditorOptions | None = None
    #: The issuer name staff see in their authenticator app (two-factor sign-in).
    totp_issuer: str = "Madoguchi"
    #: Sends staff replies of hand-overs (有人チャット) to citizens through the outbox; ``None``: 503.
    handover_notices: HandoverNotifier | None = None
    #: The FAQ index and garbage dictionary in use, and their reloader (``bot.content_reload``); ``None``: 503.
    live_content: LiveContent | None = None
    #: Signs the short-lived tickets of the hand-over live view (``handover_stream``); shared by every
    #: instance of the service (derived from the data key). ``None``: a key of this process only.
    stream_key: bytes | None = None
    #: 書かない窓口 (the counter role only): layouts, OCR, print layout, QR keys; ``None``: 503.
    counter: CounterDesk | None = None

    def __post_init__(self) -> None:
        if self.booking_service is None:
            from civic.booking.services import BookingService

            self.booking_service = BookingService(self.db, self.clock, self.booking_notices)

    @cached_property
    def desk(self) -> DeliveryDesk:
        from civic.deliveries.services import DeliveryDesk

        return self.delivery_desk or DeliveryDesk()

    @cached_property
    def opens(self) -> OpenStatistics:
        from civic.deliveries.stats import NoOpenStatistics

        return self.delivery_opens or NoOpenStatistics()

    @property
    def bookings(self) -> BookingService:
        assert self.booking_service is not None  # set in __post_init__
        return self.booking_service

    @cached_property
    def pseudonym(self) -> Pseudonymizer:
        """Stable pseudonyms of LINE user ids for staff without ``personal.view``."""
        from civic.staff.privacy import Pseudonymizer

        return Pseudonymizer(self.db.cipher)

    @cached_property
    def handover_feed(self) -> HandoverFeed:
        """Live changes of hand-overs, watched once for every console open on this process."""
        from civic.handover.feed import HandoverFeed

        return HandoverFeed(self.db)

    async def close_live_views(self) -> None:
        """Ends the open live views (the service shuts down: they would hold it up)."""
        feed = self.__dict__.get("handover_feed")
        if feed is not None:
            await feed.close()

    def need(self, value: T | None, what: str) -> T:
        """A dependency the service did not wire: 503, naming the feature (never a 500)."""
        if value is None:
            raise ApiError(503, "unavailable", f"{what}はこのサービスでは利用できません。")
        return value
