"""Settings: a missing or malformed variable stops start-up with one line naming it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import LINE_DATA_API, Settings, SettingsError, default_inbox_url
from tests.bot.helpers import KEY_HEX, REPO

GOOD = {
    "LINE_CHANNEL_SECRET": "s",
    "LINE_CHANNEL_ACCESS_TOKEN": "t",
    "DATA_ENCRYPTION_KEY": KEY_HEX,
    "CONTENT_DIR": str(REPO / "content"),
}


def test_defaults() -> None:
    s = Settings.from_env(GOOD)
    assert s.database_url == "sqlite+aiosqlite:///./var/madoguchi.db"
    assert s.line.api_base_url == "https://api.line.me"
    assert s.line.data_api_base_url == LINE_DATA_API
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert list(s.accounts) == ["production"]
    assert s.inbox_url == "sqlite+aiosqlite:///./var/madoguchi-inbox.db"
    assert (s.outbox_retry_base_seconds, s.outbox_retry_max_seconds, s.outbox_give_up_hours) == (1.0, 300.0, 24.0)
    assert (s.line_breaker_failures, s.line_breaker_max_seconds) == (5, 30.0)


def test_retry_settings_are_read() -> None:
    s = Settings.from_env({**GOOD, "OUTBOX_RETRY_BASE_SECONDS": "0.5", "OUTBOX_RETRY_MAX_SECONDS": "60",
                           "OUTBOX_GIVE_UP_HOURS": "6", "LINE_BREAKER_FAILURES": "3", "LINE_BREAKER_MAX_SECONDS": "10"})
    assert (s.outbox_retry_base_seconds, s.outbox_retry_max_seconds, s.outbox_give_up_hours) == (0.5, 60.0, 6.0)
    assert (s.line_breaker_failures, s.line_breaker_max_seconds) == (3, 10.0)
    assert s.trusted_proxies == ()
    assert (s.open311_publish, s.open311_public_read, s.open311_descriptions) == (False, False, "approved")
    town = Settings.from_env({**GOOD, "OPEN311_PUBLISH": "on", "OPEN311_READ": "public",
                              "OPEN311_DESCRIPTIONS": "redacted", "OPEN311_PRIVATE_CATEGORIES": "illegal_dumping, other"})
    assert (town.open311_publish, town.open311_public_read, town.open311_descriptions) == (True, True, "redacted")
    assert town.open311_private_categories == ("illegal_dumping", "other")
    proxied = Settings.from_env({**GOOD, "TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7"})
    assert [str(n) for n in proxied.trusted_proxies] == ["10.0.0.0/8", "192.0.2.7/32"]


@pytest.mark.parametrize(("database", "inbox"), [
    ("sqlite+aiosqlite:///./var/madoguchi.db", "sqlite+aiosqlite:///./var/madoguchi-inbox.db"),
    ("sqlite+aiosqlite:////srv/town.v2/db", "sqlite+aiosqlite:////srv/town.v2/db-inbox"),
    ("postgresql+asyncpg://u@db/town", "postgresql+asyncpg://u@db/town"),
])
def test_inbox_store_defaults_beside_the_database(database: str, inbox: str) -> None:
    assert default_inbox_url(database) == inbox
    assert Settings.from_env({**GOOD, "DATABASE_URL": database}).inbox_url == inbox
    chosen = "sqlite+aiosqlite:////var/lib/madoguchi/inbox.db"
    assert Settings.from_env({**GOOD, "DATABASE_URL": database, "INBOX_DATABASE_URL": chosen}).inbox_url == chosen


def test_emulator_base_url_serves_data_host_too() -> None:
    s = Settings.from_env({**GOOD, "LINE_API_BASE_URL": "http://127.0.0.1:8101/"})
    assert s.line.api_base_url == "http://127.0.0.1:8101"
    assert s.line.data_api_base_url == "http://127.0.0.1:8101"


def test_the_sentence_encoder_is_on_unless_switched_off() -> None:
    assert Settings.from_env(GOOD).nlu_encoder == "use"
    assert Settings.from_env({**GOOD, "NLU_ENCODER": " None "}).nlu_encoder == "none"


def test_test_account_is_optional_but_complete() -> None:
    s = Settings.from_env({**GOOD, "LINE_TEST_CHANNEL_SECRET": "s2", "LINE_TEST_CHANNEL_ACCESS_TOKEN": "t2"})
    assert set(s.accounts) == {"production", "test"}
    with pytest.raises(SettingsError) as err:
        Settings.from_env({**GOOD, "LINE_TEST_CHANNEL_SECRET": "s2"})
    assert err.value.variable == "LINE_TEST_CHANNEL_ACCESS_TOKEN"


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"LINE_CHANNEL_SECRET": ""}, "LINE_CHANNEL_SECRET"),
        ({"LINE_CHANNEL_ACCESS_TOKEN": " "}, "LINE_CHANNEL_ACCESS_TOKEN"),
        ({"DATA_ENCRYPTION_KEY": "short"}, "DATA_ENCRYPTION_KEY"),
        ({"DATA_ENCRYPTION_KEY": ""}, "DATA_ENCRYPTION_KEY"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"INBOX_DATABASE_URL": "sqlite:///plain-driver.db"}, "INBOX_DATABASE_URL"),
        ({"LINE_API_BASE_URL": "ftp://x"}, "LINE_API_BASE_URL"),
        ({"TOWN": "atlantis"}, "TOWN"),
        ({"OUTBOX_GIVE_UP_HOURS": "48"}, "OUTBOX_GIVE_UP_HOURS"),  # LINE keeps a retry key 24 hours
        ({"OUTBOX_RETRY_BASE_SECONDS": "soon"}, "OUTBOX_RETRY_BASE_SECONDS"),
        ({"LINE_BREAKER_FAILURES": "0"}, "LINE_BREAKER_FAILURES"),
        ({"DATA_ENCRYPTION_RETIRED_KEYS": f"{KEY_HEX},bad"}, "DATA_ENCRYPTION_RETIRED_KEYS"),
        ({"TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, "TRUSTED_PROXIES"),
        ({"OPEN311_PUBLISH": "yes please"}, "OPEN311_PUBLISH"),
        ({"OPEN311_READ": "everyone"}, "OPEN311_READ"),
        ({"OPEN311_DESCRIPTIONS": "all"}, "OPEN311_DESCRIPTIONS"),
        ({"NLU_ENCODER": "bert"}, "NLU_ENCODER"),
    ],
)
def test_bad_values_name_the_variable(change: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({**GOOD, **change})
    assert err.value.variable == variable
    assert str(err.value).startswith(f"{variable}: ")


def test_cli_prints_one_clear_line(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DATA_ENCRYPTION_KEY": KEY_HEX}
    result = subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60,
                            )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["madoguchi: configuration error: LINE_CHANNEL_SECRET: is required but not set (see .env.example)"]


def test_group_policy_is_leave_unless_silent_is_chosen() -> None:
    assert Settings.from_env(GOOD).group_policy == "leave"
    assert Settings.from_env({**GOOD, "GROUP_POLICY": " Silent "}).group_policy == "silent"
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**GOOD, "GROUP_POLICY": "stay"})
    assert caught.value.variable == "GROUP_POLICY" and "leave, silent" in str(caught.value)


def test_the_liff_channel_is_named_or_taken_from_the_liff_ids() -> None:
    """The LIFF pages verify ID tokens for the LINE Login channel (their ``aud``); never a made-up id."""
    assert Settings.from_env(GOOD).line.liff_channel_id == ""
    ids = {"LIFF_ID_BOOKING": "1657000001-AbCdEfGh", "LIFF_ID_FORMS": "1657000001-XyZw1234"}
    assert Settings.from_env({**GOOD, **ids}).line.liff_channel_id == "1657000001"
    assert Settings.from_env({**GOOD, **ids, "LIFF_CHANNEL_ID": "1657000009"}).line.liff_channel_id == "1657000009"
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**GOOD, **ids, "LIFF_ID_PROCEDURES": "1657000002-Qwerty12"})
    assert refused.value.variable == "LIFF_CHANNEL_ID" and "1657000002" in str(refused.value)


async def test_without_a_liff_channel_every_token_is_refused_without_asking_line() -> None:
    from liff.identity import HttpIdTokenVerifier

    verifier = HttpIdTokenVerifier("http://127.0.0.1:9", "")  # nothing listens there: it must not be asked
    assert await verifier.verify("any.token.at-all") is None


def test_dialogue_timeout() -> None:
    assert Settings.from_env(GOOD).dialogue_timeout_minutes == 30
    assert Settings.from_env({**GOOD, "DIALOGUE_TIMEOUT_MINUTES": "10"}).dialogue_timeout_minutes == 10
    for bad in ("0", "ten", "100000"):
        with pytest.raises(SettingsError) as err:
            Settings.from_env({**GOOD, "DIALOGUE_TIMEOUT_MINUTES": bad})
        assert "DIALOGUE_TIMEOUT_MINUTES" in str(err.value)
