"""``/readyz`` (can the service do its work, and if not why) and ``/metrics`` (who may read it, and
what the webhook, the inbox and the outbox say there)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.service import build_service
from civic.client_address import parse_networks
from tests.bot.helpers import body_of, make_settings, sign, text_event


@pytest.fixture(scope="module")
def knowledge():
    from bot.dialogue_wiring import build_knowledge

    return build_knowledge(make_settings("sqlite+aiosqlite://"))


async def test_ready_and_not_ready_with_reasons(aiohttp_client, sqlite_db, knowledge, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, ready_max_backup_age_hours=26, backup_dir=str(tmp_path / "backups"))
    client = await aiohttp_client(build_service(settings, knowledge=knowledge))
    r = await client.get("/readyz")
    body = await r.json()
    assert r.status == 503 and body["status"] == "not_ready"
    assert body["problems"] == ["最新のバックアップが古すぎるか、ありません"]
    # a backup made now (its manifest is what counts)
    generation = tmp_path / "backups" / "20261204-030000"
    generation.mkdir(parents=True)
    (generation / "manifest.json").write_text(json.dumps({
        "created_at": datetime.now(UTC).isoformat(), "backend": "sqlite", "key_id": "0" * 16, "stores": {}, "format": 1}))
    r = await client.get("/readyz")
    body = await r.json()
    assert r.status == 200 and body["status"] == "ready" and body["problems"] == [] and body["backlog"] == 0
    assert 0 <= body["backup_age_seconds"] < 60
    assert (await client.get("/healthz")).status == 200


def _replace_with_a_directory(path: Path) -> None:
    """The database file is gone and a directory stands in its place: nothing can open it."""
    path.unlink()
    path.mkdir()


async def test_not_ready_without_the_database(aiohttp_client, sqlite_db, knowledge) -> None:
    app = build_service(make_settings(sqlite_db.url), knowledge=knowledge)
    client = await aiohttp_client(app)
    from bot.appkeys import DATABASE

    await app[DATABASE].engine.dispose()
    _replace_with_a_directory(Path(sqlite_db.url.split(":///", 1)[1]))
    r = await client.get("/readyz")
    body = await r.json()
    assert r.status == 503 and "データベースに接続できません" in body["problems"]


async def test_metrics_count_webhooks_and_are_not_for_everyone(aiohttp_client, sqlite_db, knowledge) -> None:
    settings = make_settings(sqlite_db.url, trusted_proxies=parse_networks("127.0.0.1/32"), metrics_token="s3cret")
    client = await aiohttp_client(build_service(settings, knowledge=knowledge))
    body = body_of(text_event("U" + "1" * 32, "こんにちは"), text_event("U" + "2" * 32, "粗大ごみ"))
    assert (await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    assert (await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    assert (await client.post("/callback", data=body, headers={"X-Line-Signature": "forged"})).status == 400

    r = await client.get("/metrics")  # from this machine
    assert r.status == 200 and r.content_type == "text/plain"
    text = await r.text()
    assert 'madoguchi_webhook_requests_total{outcome="accepted"} 2.0' in text
    assert 'madoguchi_webhook_requests_total{outcome="bad_signature"} 1.0' in text
    assert 'madoguchi_webhook_events_total{outcome="accepted"} 2.0' in text
    assert 'madoguchi_webhook_events_total{outcome="redelivered"} 2.0' in text
    assert "madoguchi_webhook_ack_seconds_count 3.0" in text
    assert "madoguchi_inbox_backlog" in text and "madoguchi_outbox_pending" in text
    assert "madoguchi_staff_logins_failed_last_hour 0.0" in text
    assert "madoguchi_staff_addresses_blocked 0.0" in text and "madoguchi_handovers_waiting 0.0" in text

    outside = {"X-Forwarded-For": "203.0.113.5"}
    assert (await client.get("/metrics", headers=outside)).status == 403
    assert (await client.get("/metrics", headers={**outside, "Authorization": "Bearer wrong"})).status == 403
    assert (await client.get("/metrics", headers={**outside, "Authorization": "Bearer s3cret"})).status == 200
