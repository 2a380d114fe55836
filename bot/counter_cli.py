"""The counter role's commands: ``serve --role counter``, ``create-staff --counter`` and
``counter-key export | install`` (the QR key carried to the counter out of band)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.counter_role import CounterSettings, CounterSettingsError


def counter_settings() -> CounterSettings:
    try:
        return CounterSettings.from_env()
    except CounterSettingsError as exc:
        print(f"madoguchi: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def serve_counter(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.cli import event_loop
    from bot.counter_role import build_counter_app
    from bot.migrate import upgrade

    settings = counter_settings()
    if not args.skip_migrate:
        upgrade(settings.database_url, settings.database_url)  # one database: no inbox on the counter
    app = build_counter_app(settings)
    web.run_app(app, host=args.host or settings.host, port=args.port or settings.port,
                print=lambda s: print(s, file=sys.stderr), loop=event_loop())
    return 0


def create_counter_staff(args: argparse.Namespace) -> int:
    import getpass

    from bot.cli import create_staff_account
    from bot.migrate import upgrade
    from civic.crypto import FieldCipher
    from civic.database import ensure_sqlite_directory

    settings = counter_settings()
    password = args.password or getpass.getpass("パスワード: ")
    ensure_sqlite_directory(settings.database_url)
    upgrade(settings.database_url, settings.database_url)
    return create_staff_account(args, password, settings.database_url, FieldCipher(settings.data_key),
                                what="窓口の職員アカウント")


def cmd_counter_key(args: argparse.Namespace) -> int:
    from bot.counter_role import install_qr_key

    if args.action == "export":
        from bot.cli import _settings

        print(_settings().qr_key_bytes().hex())
        return 0
    text = sys.stdin.read() if args.file in (None, "-") else Path(args.file).read_text(encoding="utf-8")
    settings = counter_settings()
    try:
        key_id = install_qr_key(settings.qr_key_file, text.strip().splitlines()[0] if text.strip() else "",
                                keep_old=not args.replace)
    except ValueError as exc:
        print(f"madoguchi: 鍵を読み取れません: {exc}", file=sys.stderr)
        return 2
    print(f"二次元コードの鍵（鍵ID {key_id}）を {settings.qr_key_file} に設置しました。"
          "窓口のサービスを再起動してください。", file=sys.stderr)
    return 0


def add_counter_key_parser(sub: Any) -> None:
    key = sub.add_parser("counter-key", help="the QR key: export it on the LINE service, install it on the counter")
    key.add_argument("action", choices=("export", "install"))
    key.add_argument("file", nargs="?", help="install: the key file (default: standard input)")
    key.add_argument("--replace", action="store_true", help="install: drop the keys installed before")
    key.set_defaults(func=cmd_counter_key)
