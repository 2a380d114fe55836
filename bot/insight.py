"""Open rates from LINE's per-unit statistics, for ``civic.deliveries.stats`` (through the gateway)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Protocol

from bot.gateway import LineError
from civic.deliveries.stats import OpenFigures

log = logging.getLogger(__name__)


class UnitStatisticsSource(Protocol):
    """What this needs of the LINE gateway (``bot.gateway.LineGateway``, or the service's late view of it)."""

    async def unit_statistics(self, channel: str, unit: str, since: str, until: str) -> dict[str, Any] | None: ...


class LineOpenStatistics:
    def __init__(self, gateway: UnitStatisticsSource) -> None:
        self.gateway = gateway

    async def unit(self, channel: str, unit: str, since: date, until: date) -> OpenFigures:
        try:
            body = await self.gateway.unit_statistics(channel, unit, since.strftime("%Y%m%d"), until.strftime("%Y%m%d"))
        except LineError as exc:
            log.warning("unit statistics %s: %s", unit, exc)
            return OpenFigures(note=f"LINEから取得できませんでした（{exc.status or '通信エラー'}）")
        if body is None:
            return OpenFigures(note="LINEにまだ集計がありません（翌日以降に集計されます）")
        overview = body.get("overview") or {}
        return OpenFigures(overview.get("uniqueImpression"), overview.get("uniqueClick"))
