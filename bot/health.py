"""``/readyz`` and ``/metrics`` (issue #18; 国富町 §3(ア)②, §9(1)(イ); city-site spec 別紙3).

``/healthz`` (``bot.app``) says the process answers: liveness. ``/readyz`` says whether the service
can do its work: both stores answer, the turn worker is alive, the backlog is under
``READY_MAX_BACKLOG``, and — when ``READY_MAX_BACKUP_AGE_HOURS`` is set — the newest backup is younger
than that. It answers 503 with the reasons in Japanese otherwise, so a load balancer stops sending
and monitoring says why.

``/metrics`` is Prometheus' text format (``bot.metrics``). It tells an outsider how busy the town's
service is, so it answers only ``METRICS_ALLOWED_NETWORKS`` (default: this machine) or a request with
``Authorization: Bearer <METRICS_TOKEN>``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from aiohttp import web
from sqlmodel import col

from bot.appkeys import CLOCK, DATABASE, DISPATCHER, INBOX_DATABASE, METRICS, SETTINGS
from bot.backup.generations import newest_at
from bot.metrics import Metrics
from bot.outbox.backlog import outbox_backlog
from civic.client_address import Network, parse_address
from civic.clock import Clock
from civic.database import Database
from civic.deliveries.models import B_FAILED, B_SENT, DeliveryBatch
from civic.handover.models import OPEN, Handover
from civic.staff.models import LoginThrottle, OperationLog

LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


async def _answers(db: Database) -> bool:
    try:
        async with db.read() as s:
            await (await s.connection()).execute(sa.text("SELECT 1"))
    except Exception:
        return False
    return True


async def readyz(request: web.Request) -> web.Response:
    app = request.app
    settings, clock = app[SETTINGS], app[CLOCK]
    problems: list[str] = []
    if not await _answers(app[DATABASE]):
        problems.append("データベースに接続できません")
    if app[INBOX_DATABASE] is not app[DATABASE] and not await _answers(app[INBOX_DATABASE]):
        problems.append("受信箱（inbox）のデータベースに接続できません")
    dispatcher = app.get(DISPATCHER)
    if dispatcher is None:
        problems.append("会話の処理がまだ始まっていません")
    else:
        if not getattr(dispatcher, "alive", True):
            problems.append("会話を処理するワーカーが動いていません（再起動中）")
        if dispatcher.backlog > settings.ready_max_backlog:
            problems.append(f"処理待ちのメッセージが多すぎます（{dispatcher.backlog}件）")
    backup_age = None
    if settings.ready_max_backup_age_hours:
        newest = newest_at(Path(settings.backup_dir))
        backup_age = None if newest is None else (clock.now() - newest).total_seconds()
        if backup_age is None or backup_age > settings.ready_max_backup_age_hours * 3600:
            problems.append("最新のバックアップが古すぎるか、ありません")
    body = {"status": "ready" if not problems else "not_ready", "problems": problems,
            "backlog": dispatcher.backlog if dispatcher is not None else None,
            "backup_age_seconds": None if backup_age is None else round(backup_age)}
    return web.json_response(body, status=200 if not problems else 503,
                             dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _may_read_metrics(request: web.Request) -> bool:
    settings = request.app[SETTINGS]
    token = settings.metrics_token
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    address = parse_address(request.remote)
    networks = settings.metrics_allowed_networks or LOOPBACK
    return address is not None and any(address in n for n in networks if n.version == address.version)


async def metrics_view(request: web.Request) -> web.Response:
    if not _may_read_metrics(request):
        return web.json_response({"message": "forbidden"}, status=403)
    text = await request.app[METRICS].exposition()
    return web.Response(body=text, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


def register_readings(metrics: Metrics, app: web.Application) -> None:
    """Figures of the whole service, read by the web process when scraped."""
    db: Database = app[DATABASE]
    clock: Clock = app[CLOCK]
    settings = app[SETTINGS]

    async def backlog() -> float | None:
        dispatcher = app.get(DISPATCHER)
        return None if dispatcher is None else float(dispatcher.backlog)

    async def outbox() -> dict[str, float | None]:
        backlog = await outbox_backlog(db, clock)
        return {"madoguchi_outbox_pending": float(backlog.pending),
                "madoguchi_outbox_oldest_pending_seconds": backlog.oldest_pending_seconds or 0.0}

    async def backup_age() -> float | None:
        newest = newest_at(Path(settings.backup_dir))
        return None if newest is None else (clock.now() - newest).total_seconds()

    async def failed_logins() -> float | None:
        since = clock.now() - timedelta(hours=1)
        async with db.read() as s:
            count = (await (await s.connection()).execute(
                sa.select(sa.func.count()).select_from(OperationLog).where(
                    col(OperationLog.action).in_(("auth.login_failed", "auth.login_throttled", "auth.login_locked")),
                    col(OperationLog.at) >= since))).scalar_one()
        return float(count)

    async def delivered(status: str) -> float | None:
        async with db.read() as s:
            total = (await (await s.connection()).execute(
                sa.select(sa.func.coalesce(sa.func.sum(DeliveryBatch.size), 0)).where(
                    col(DeliveryBatch.status) == status))).scalar_one()
        return float(total)

    metrics.read_at_scrape("madoguchi_delivery_recipients_sent", "Recipients of delivery batches LINE accepted (all time)",
                           lambda: delivered(B_SENT))
    metrics.read_at_scrape("madoguchi_delivery_recipients_failed", "Recipients of delivery batches that failed (all time)",
                           lambda: delivered(B_FAILED))
    metrics.read_at_scrape("madoguchi_inbox_backlog", "Accepted events waiting for their turn", backlog)
    metrics.read_several_at_scrape({"madoguchi_outbox_pending": "Answers not yet delivered to LINE",
                                    "madoguchi_outbox_oldest_pending_seconds": "Age of the oldest undelivered answer"},
                                   outbox)
    metrics.read_at_scrape("madoguchi_backup_age_seconds", "Age of the newest backup in BACKUP_DIR", backup_age)
    metrics.read_at_scrape("madoguchi_staff_logins_failed_last_hour",
                           "Failed, throttled or locked staff sign-ins in the last hour (operation log)", failed_logins)

    async def count(query: sa.Select[int]) -> float | None:
        async with db.read() as s:
            return float((await (await s.connection()).execute(query)).scalar_one())

    metrics.read_at_scrape("madoguchi_staff_addresses_blocked",
                           "Client addresses refused staff sign-in now after too many failures",
                           lambda: count(sa.select(sa.func.count()).select_from(LoginThrottle).where(
                               col(LoginThrottle.key).startswith("address:"),
                               col(LoginThrottle.locked_until) > clock.now())))
    metrics.read_at_scrape("madoguchi_handovers_waiting",
                           "Hand-overs (有人チャット) open and not yet answered by staff",
                           lambda: count(sa.select(sa.func.count()).select_from(Handover).where(
                               col(Handover.status) == OPEN, col(Handover.first_reply_at).is_(None))))
