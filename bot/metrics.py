"""Metrics in Prometheus' text format (issue #18; 国富町 §3(ア)②, §9(1)(イ) 24/365 monitoring;
city-site spec 別紙3: server, process, log, load and job monitoring), with prometheus-client, the
Prometheus project's own client: any monitoring a town runs (Prometheus, Zabbix, Datadog, Mackerel)
reads this format.

``python -m bot serve`` runs two processes (web and turn worker). Counters and histograms from both
reach one ``/metrics`` through prometheus-client's multiprocess mode: ``serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` (``bot.cli``) before either process imports the client, each process
writes its values to files there, and the web process adds them up on a scrape. Gauges that describe the
service as a whole (backlog, answers waiting for LINE, age of the last backup) are read when scraped,
by the web process, so they are never stale.

``Metrics`` is built once by the composition root and handed to what it measures; nothing here is a
module-level singleton.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest

ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def multiprocess() -> bool:
    return bool(os.environ.get(ENV))


@dataclass(frozen=True)
class Reading:
    """Figures read at scrape time by one query: ``read`` answers a value (or None) per name."""

    helps: dict[str, str]
    read: Callable[[], Awaitable[dict[str, float | None]]]


class Metrics:
    def __init__(self) -> None:
        # In multiprocess mode the values live in files, and a scrape collects them from there;
        # in one process this registry is what is scraped.
        self.registry = CollectorRegistry()
        r = self.registry
        self.webhook_requests = Counter("madoguchi_webhook_requests", "Webhook requests by answer (accepted, "
                                        "bad_signature, bad_request, too_large, store_failed)", ["outcome"], registry=r)
        self.webhook_events = Counter("madoguchi_webhook_events", "Events in accepted webhook requests: newly "
                                      "stored (accepted) or already stored (redelivered)", ["outcome"], registry=r)
        self.ack_seconds = Histogram("madoguchi_webhook_ack_seconds", "Time to acknowledge a webhook request",
                                     buckets=LATENCY_BUCKETS, registry=r)
        self.turn_seconds = Histogram("madoguchi_turn_seconds", "Time from accepting an event to the end of its turn",
                                      buckets=LATENCY_BUCKETS, registry=r)
        self.gateway_calls = Counter("madoguchi_line_api_calls", "Calls to the LINE Messaging API by outcome and status",
                                     ["outcome", "status"], registry=r)
        self.job_runs = Counter("madoguchi_scheduler_job_runs", "Scheduled job runs by job and result (ok, failed)",
                                ["job", "result"], registry=r)
        self.readings: list[Reading] = []

    def read_at_scrape(self, name: str, help: str, read: Callable[[], Awaitable[float | None]]) -> None:
        async def one() -> dict[str, float | None]:
            return {name: await read()}

        self.readings.append(Reading({name: help}, one))

    def read_several_at_scrape(self, helps: dict[str, str], read: Callable[[], Awaitable[dict[str, float | None]]]) -> None:
        """Several gauges from one query (read once per scrape)."""
        self.readings.append(Reading(helps, read))

    async def exposition(self) -> bytes:
        """The text a scrape gets: this process's (or every process's) counters and the readings."""
        families: list[Metric] = []
        for reading in self.readings:
            values = await reading.read()
            for name, help in reading.helps.items():
                value = values.get(name)
                if value is not None:
                    family = GaugeMetricFamily(name, help)
                    family.add_metric([], value)
                    families.append(family)
        return generate_latest(_Scrape(self._collected(), families))

    def _collected(self) -> CollectorRegistry:
        if not multiprocess():
            return self.registry
        from prometheus_client import multiprocess as mp

        registry = CollectorRegistry()
        mp.MultiProcessCollector(registry)
        return registry


@dataclass
class _Scrape:
    """One registry's metrics plus the readings, as one collector for ``generate_latest``."""

    base: CollectorRegistry
    extra: Sequence[Metric] = field(default_factory=list)

    def collect(self) -> Iterable[Metric]:
        yield from self.base.collect()
        yield from self.extra
