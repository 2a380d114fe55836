"""Random JSON at every changing operation of the whole staff API: no input may cause a 5xx.

The service is built as ``serve`` builds it (every router mounted, LINE played by linesim) on
SQLite and on PostgreSQL, with the demo town's facilities and bookings, and an administrator
signed in so permissions never short-circuit. For each POST/PUT/PATCH/DELETE operation of the
OpenAPI document, Hypothesis draws bodies, path and query parameters (``tests/admin_api/fuzz.py``);
every 5xx is collected with the server's exception, so one run reports all of them.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from admin_api.app import PREFIX
from bot.appkeys import CLOCK, DATABASE, STAFF_SESSIONS
from bot.dialogue_wiring import build_knowledge
from bot.service import build_service
from civic.booking.demo import seed_booking_demo
from civic.clock import FrozenClock
from civic.staff import services as accounts
from civic.staff.models import StaffAccount
from linesim import ChannelConfig, SimConfig
from linesim.driver import run_linesim
from tests.admin_api import fuzz
from tests.admin_api.live import LiveServer
from tests.bot.helpers import SECRET, TOKEN, make_settings

LOGIN, PASSWORD = "fuzz-admin", "fuzz admin pass 2026"
EXAMPLES = 20  # per changing operation; a third of it per reading one
#: Operations that may end the administrator's session or change its role: checked after each call.
ACCOUNT_TAGS = {"staff", "auth"}


class Service:
    """The whole service on a real port, with an administrator's token kept valid."""

    def __init__(self, url: str, knowledge: Any) -> None:
        self.url, self.knowledge = url, knowledge
        self.http = requests.Session()
        self.token = ""
        self.server = LiveServer(self._setup)

    async def _setup(self):
        self._sim = run_linesim(SimConfig(channels=[ChannelConfig("production", SECRET, TOKEN)]))
        sim = await self._sim.__aenter__()
        settings = make_settings(self.url, api_base_url=sim.url)
        self.app = build_service(settings, clock=FrozenClock(datetime(2026, 11, 21, 1, tzinfo=UTC)),
                                 knowledge=self.knowledge)
        self.settings = settings
        return self.app

    async def _prepare(self) -> str:
        db, clock = self.app[DATABASE], self.app[CLOCK]
        await seed_booking_demo(db, clock, self.settings.town_dir)
        account = await accounts.create_staff(db, clock, LOGIN, PASSWORD, "試験 管理者", "admin")
        self.staff_id = account.id
        return await self._login()

    async def _login(self) -> str:
        db, clock = self.app[DATABASE], self.app[CLOCK]
        async with db.write() as s:
            account = await s.get(StaffAccount, self.staff_id)
            if account.login != LOGIN or not account.active or account.locked_until or account.role_id != 1:
                account.login, account.active, account.locked_until, account.role_id = LOGIN, True, None, 1
                await accounts.set_password(s, self.app[STAFF_SESSIONS].passwords, clock.now(), account, PASSWORD)
        r = await asyncio.to_thread(self.http.post, f"{self.base}/auth/login",
                                    json={"login": LOGIN, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return r.json()["token"]

    def start(self) -> Service:
        self.server.start()
        self.token = self.server.run(self._prepare())
        return self

    def stop(self) -> None:
        self.server.stop(lambda: self._sim.__aexit__(None, None, None))

    @property
    def base(self) -> str:
        return f"{self.server.url}{PREFIX}"

    def keep_signed_in(self) -> None:
        r = self.http.get(f"{self.base}/auth/me", headers={"Authorization": f"Bearer {self.token}"})
        if r.status_code != 200:
            self.token = self.server.run(self._login())

    def send(self, req: fuzz.Request) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        if req.content_type:
            headers["Content-Type"] = req.content_type
        return self.http.request(req.method, f"{self.server.url}{req.path}", params=req.query,
                                 data=req.body, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def knowledge():
    return build_knowledge(make_settings("sqlite+aiosqlite://"))


@pytest.fixture
def service(database_url: str, knowledge):
    running = Service(database_url, knowledge).start()
    try:
        yield running
    finally:
        running.stop()


def _fuzz(service: Service, path: str, method: str, op: dict[str, Any], document: dict[str, Any],
          known: dict[str, list[str]], valid: Any, errors: fuzz.ServerErrors, found: dict[str, str]) -> None:
    account_op = bool(ACCOUNT_TAGS & set(op.get("tags", [])))

    @given(req=fuzz.request_for(path, method, op, document, known, valid))
    @settings(max_examples=EXAMPLES if method in fuzz.MUTATING else EXAMPLES // 3, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(req: fuzz.Request) -> None:
        response = service.send(req)
        cause = errors.take()
        if response.status_code >= 500:
            where, message = cause or (str(response.status_code), response.text[:160])
            found.setdefault(f"{method.upper()} {path}: {where}", f"{message}\n    e.g. {req.short()}")
        if account_op:
            service.keep_signed_in()

    check()


@pytest.mark.slow
@pytest.mark.timeout(900)  # about a minute of CPU per backend; more on a busy machine
def test_no_changing_operation_answers_5xx_to_random_json(service: Service) -> None:
    document = service.http.get(f"{service.base}/openapi.json").json()
    targets = fuzz.operations(document)
    assert sum(method in fuzz.MUTATING for _, method, _ in targets) >= 90  # every router is mounted
    auth = {"Authorization": f"Bearer {service.token}"}
    known = {"key": [a["key"] for a in service.http.get(f"{service.base}/attributes", headers=auth).json()][:5]}
    # valid bodies (schemathesis' positive generation), for fuzz to spoil one field of
    valid = {(o.method.lower(), o.path): o.as_strategy(generation_mode=GenerationMode.POSITIVE).map(lambda c: c.body)
             for o in (r.ok() for r in schemathesis.openapi.from_dict(document).get_all_operations())}
    errors = fuzz.ServerErrors()
    logging.getLogger("admin_api").addHandler(errors)
    found: dict[str, str] = {}
    try:
        for path, method, op in targets:
            _fuzz(service, path, method, op, document, known, valid.get((method, path)), errors, found)
    finally:
        logging.getLogger("admin_api").removeHandler(errors)
    report = "\n".join(f"{key}\n    {example}" for key, example in sorted(found.items()))
    assert not found, f"{len(found)} distinct server errors:\n{report}"
