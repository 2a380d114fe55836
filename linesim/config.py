"""Configuration of a linesim instance: the LINE channels it emulates and the demo places."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class LiffApp:
    """A LIFF app of the channel's LINE Login channel: ``https://liff.line.me/<liff_id>/<path>?<query>``
    opens ``endpoint_url`` + path and query, inside LINE, where ``liff.getIDToken()`` works."""

    liff_id: str
    endpoint_url: str

    def __post_init__(self) -> None:
        if not self.liff_id or not self.endpoint_url.startswith(("http://", "https://")):
            raise ValueError("a LIFF app needs an id and an http(s) endpoint URL")


@dataclass(frozen=True)
class ChannelConfig:
    """One LINE Official Account (Messaging API channel) and the LINE Login channel its LIFF apps use.

    The bot's access token selects the channel on every API call, so a production and a test
    account can share one linesim. Ids left empty are derived from the name, so they are stable
    across restarts. ``liff_apps`` are the LIFF apps the simulator opens as LINE does (with an ID
    token for the citizen).
    """

    name: str
    secret: str
    access_token: str
    webhook_url: str | None = None
    channel_id: str = ""
    bot_user_id: str = ""
    bot_display_name: str = ""
    login_channel_id: str = ""
    login_channel_secret: str = ""
    liff_apps: tuple[LiffApp, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not self.secret or not self.access_token:
            raise ValueError("a channel needs a name, a secret and an access token")
        seed = _digest("linesim", self.name)
        if not self.channel_id:
            object.__setattr__(self, "channel_id", str(1_000_000_000 + int(seed[:8], 16) % 999_999_999))
        if not self.bot_user_id:
            object.__setattr__(self, "bot_user_id", "U" + seed[8:40])
        if not self.bot_display_name:
            object.__setattr__(self, "bot_display_name", self.name)
        if not self.login_channel_id:
            object.__setattr__(self, "login_channel_id", self.channel_id)
        if not self.login_channel_secret:
            object.__setattr__(self, "login_channel_secret", self.secret)


@dataclass(frozen=True)
class Place:
    """A named spot the simulator offers in its location picker."""

    name: str
    latitude: float
    longitude: float
    address: str = ""


@dataclass(frozen=True)
class SimConfig:
    """Everything `create_app` needs.

    ``clock`` returns epoch seconds; tests pass a settable clock to expire reply tokens and retry
    keys without sleeping. ``latency`` delays every Messaging API answer (seconds).
    """

    channels: Sequence[ChannelConfig]
    places: Sequence[Place] = ()
    reply_token_ttl: float = 60.0
    retry_key_ttl: float = 24 * 3600.0
    latency: float = 0.0
    webhook_timeout: float = 10.0
    max_recorded_calls: int = 100_000
    clock: Callable[[], float] = field(default=time.time, compare=False)

    def __post_init__(self) -> None:
        if not self.channels:
            raise ValueError("linesim needs at least one channel")
        for attr in ("name", "access_token"):
            values = [getattr(c, attr) for c in self.channels]
            if len(set(values)) != len(values):
                raise ValueError(f"channel {attr}s must be unique")

    def channel(self, name: str) -> ChannelConfig:
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(name)


DEMO_PLACES: tuple[Place, ...] = (
    Place("市役所", 35.681236, 139.767125, "東京都千代田区丸の内1丁目"),
    Place("中央図書館", 35.689634, 139.700566, "東京都新宿区西新宿2丁目"),
    Place("総合体育館", 35.658581, 139.745433, "東京都港区芝公園4丁目"),
)
