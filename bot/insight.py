"""Open rates from LINE's per-unit statistics, for ``civic.deliveries.stats`` (through the gateway)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from bot.gateway import LineError
from civic.deliveries.stats import OpenFigures

log = logging.getLogger(__name__)


class UnitStatisticsSource(Protocol):
    """What this needs of the LINE gateway (``bot.gateway.LineGateway``)."""

    async def unit_statistics(self, channel: str, unit: str, since: str, until: str) -> dict[str, Any] | None: ...


class LineOpenStatistics:
    """``gateway`` provides the gateway when figures are asked for (the service opens it at start)."""

    def __init__(self, gateway: Callable[[], UnitStatisticsSource]) -> None:
        self._gateway = gateway

    async def unit(self, channel: str, unit: str, since: date, until: date) -> OpenFigures:
        try:
            body = await self._gateway().unit_statistics(channel, unit, since.strftime("%Y%m%d"), until.strftime("%Y%m%d"))
        except LineError as exc:
            log.warning("unit statistics %s: %s", unit, exc)
            return OpenFigures(note=f"LINEから取得できませんでした（{exc.status or '通信エラー'}）")
        if body is None:
            return OpenFigures(note="LINEにまだ集計がありません（翌日以降に集計されます）")
        overview = body.get("overview") or {}
        return OpenFigures(overview.get("uniqueImpression"), overview.get("uniqueClick"))
