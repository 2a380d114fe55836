"""What the my-page's views need (``MyPageDeps``), under the page's typed key, and who is asking."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from civic.booking.services import BookingService
from civic.citizens.erasure import Erasure
from civic.clock import Clock
from civic.database import Database
from civic.mypage.notices import MailSettings
from civic.notify import CitizenNotifier
from liff.identity import IdTokenVerifier

#: After a citizen erased themselves (committed): the service erases what lives outside the main
#: database (the inbox store's events) and unlinks their rich menu at LINE; (erasure, user id).
AfterErasure = Callable[[Erasure, str], Awaitable[None]]


@dataclass(frozen=True)
class MyPageDeps:
    db: Database
    clock: Clock
    booking: BookingService
    verifier: IdTokenVerifier
    #: Sends the second-step code to LINE (the service's notifier); None: no LINE step.
    line: CitizenNotifier | None = None
    mail: MailSettings = MailSettings()
    #: The issuer shown in TOTP apps.
    issuer: str = "窓口"
    #: Session cookies only over https (off for the local demo and tests on http).
    secure_cookies: bool = False
    #: Called after a mail was queued (the mail sender looks at once).
    wake_mail: Callable[[], None] | None = None
    after_erasure: AfterErasure | None = None


@dataclass(frozen=True)
class Who:
    """The citizen a request acts for: proved by LINE (``via="line"``) or by an e-mail code (``"web"``)."""

    citizen_id: int
    user_id: str
    via: str
    session_id: int | None = None
    stepped_up: bool = False


DEPS = web.AppKey("liff_mypage_deps", MyPageDeps)
WHO = web.RequestKey("mypage_who", Who)
COOKIE = "madoguchi_mypage"

