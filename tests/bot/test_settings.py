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
        ({"DATA_ENCRYPTION_RETIRED_KEYS": f"{KEY_HEX},bad"}, "DATA_ENCRYPTION_RETIRED_KEYS"),
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
