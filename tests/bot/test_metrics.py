"""bot.metrics: counters and histograms in Prometheus' text format, figures read at scrape time, and
both processes of ``serve`` (web and turn worker) adding up in one scrape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]


async def test_counters_histograms_and_readings_in_text_format() -> None:
    metrics = Metrics()
    metrics.webhook_events.labels("accepted").inc(3)
    metrics.webhook_events.labels("bad_signature").inc()
    metrics.ack_seconds.observe(0.004)
    metrics.gateway_calls.labels("ok", "200").inc()

    async def backlog() -> float:
        return 7

    async def no_backup() -> float | None:
        return None  # nothing to say: the gauge is left out rather than invented

    metrics.read_at_scrape("madoguchi_inbox_backlog", "Events waiting for their turn", backlog)
    metrics.read_at_scrape("madoguchi_backup_age_seconds", "Age of the newest backup", no_backup)
    text = (await metrics.exposition()).decode()
    assert 'madoguchi_webhook_events_total{outcome="accepted"} 3.0' in text
    assert 'madoguchi_webhook_events_total{outcome="bad_signature"} 1.0' in text
    assert 'madoguchi_webhook_ack_seconds_bucket{le="0.005"} 1.0' in text
    assert 'madoguchi_line_api_calls_total{outcome="ok",status="200"} 1.0' in text
    assert "madoguchi_inbox_backlog 7.0" in text
    assert "madoguchi_backup_age_seconds" not in text
    # a second Metrics (another app in the same process, as in tests) does not clash or share
    other = Metrics()
    assert 'outcome="accepted"' not in (await other.exposition()).decode()


def _run(code: str, directory: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PROMETHEUS_MULTIPROC_DIR": directory}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_two_processes_add_up_in_one_scrape(tmp_path: Path) -> None:
    count = "from bot.metrics import Metrics\nm = Metrics()\nm.webhook_events.labels('accepted').inc({n})\n" \
            "m.turn_seconds.observe(0.02)\n"
    _run(count.format(n=2), str(tmp_path))  # the web process
    _run(count.format(n=5), str(tmp_path))  # the turn worker
    scrape = ("import asyncio\nfrom bot.metrics import Metrics\n"
              "print(asyncio.run(Metrics().exposition()).decode())\n")
    text = _run(scrape, str(tmp_path))
    assert 'madoguchi_webhook_events_total{outcome="accepted"} 7.0' in text
    assert "madoguchi_turn_seconds_count 2.0" in text
