"""What the 手続きナビ views (``views``, ``counter``) need: ``Deps``, under the page's typed key ``DEPS``.

Kept apart from ``app`` (which builds the sub-app and imports the views), so the views import this
and nothing imports back (the page shape of ``liff.page``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from admin_api.auth import Authenticator
from civic.clock import Clock
from civic.database import Database
from civic.procedures.kana import KanaReader
from civic.procedures.payload import QrKeyring
from civic.procedures.postal import PostalDirectory
from civic.procedures.services import DraftStore
from civic.procedures.tree import Content
from civic.staff.audit import Auditor
from liff.procedures.identity import IdTokenVerifier, ResultNotifier

STATIC = Path(__file__).with_name("static")
COUNTER_PERMISSION = "procedures.counter"


@dataclass
class Deps:
    db: Database
    clock: Clock
    content: Content
    qr_keys: QrKeyring
    authenticator: Authenticator
    auditor: Auditor
    drafts: DraftStore
    postal: PostalDirectory
    kana: KanaReader
    verifier: IdTokenVerifier | None
    notifier: ResultNotifier | None
    theme: str
    liff_id: str
    liff_sdk_url: str
    qr_max_version: int
    staff_login_url: str = ""


DEPS = web.AppKey("procedures_deps", Deps)
