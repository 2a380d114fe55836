"""Looking at what linesim (the local LINE platform) holds for each account, for rich-menu tests."""

from __future__ import annotations

from typing import Any

from linesim import ChannelConfig, SimConfig
from linesim.driver import LineSim
from linesim.state import ChannelState
from richmenus.line_api import AccountCredentials, SdkLineApis

CHANNELS = {"production": ("prod-secret", "prod-token"), "test": ("test-secret", "test-token")}


def sim_config() -> SimConfig:
    """Two accounts side by side, as a town has them: production and test, each with its own token."""
    return SimConfig(channels=[ChannelConfig(name, secret, token) for name, (secret, token) in CHANNELS.items()])


def line_apis(sim: LineSim) -> SdkLineApis:
    return SdkLineApis({name: AccountCredentials(token, sim.url, sim.url) for name, (_, token) in CHANNELS.items()})


class LineView:
    def __init__(self, sim: LineSim) -> None:
        self.sim = sim

    def channel(self, account: str) -> ChannelState:
        return self.sim.service.channel(account)

    def menus(self, account: str) -> dict[str, dict[str, Any]]:
        return {rid: m.as_json() for rid, m in self.channel(account).rich_menus.items()}

    def images(self, account: str) -> set[str]:
        return {rid for rid, m in self.channel(account).rich_menus.items() if m.image is not None}

    def aliases(self, account: str) -> dict[str, str]:
        return dict(self.channel(account).aliases)

    def default(self, account: str) -> str | None:
        return self.channel(account).default_rich_menu

    def links(self, account: str) -> dict[str, str]:
        return dict(self.channel(account).user_rich_menus)

    def shown_to(self, account: str, user: str) -> dict[str, Any] | None:
        menu = self.channel(account).rich_menu_of(user)
        return menu.as_json() if menu else None

    def state(self, account: str) -> tuple:
        return (sorted(self.menus(account)), sorted(self.images(account)), self.aliases(account),
                self.default(account), self.links(account))

    def fail(self, method: str, path: str, *, status: int = 500, times: int = 1) -> None:
        """The next ``times`` calls (``path`` ending in ``*``: a prefix) answer ``status``."""
        self.sim.fail_next(path, status, times, method)

    def calls(self, account: str) -> list[tuple[str, str]]:
        return [(c.method, c.path) for c in self.sim.for_channel(account).calls()]
