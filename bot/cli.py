"""``python -m bot serve [--role counter] | worker | demo | migrate | create-staff | new-key | counter-key |
backup | restore | export``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from bot.backup import BackupConfig
    from bot.backup.running import RunLock
    from bot.backup.stores import Store
    from civic.crypto import FieldCipher


def load_dotenv(path: Path = Path(".env")) -> None:
    """Read KEY=VALUE lines from .env into the environment (real environment variables win)."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"madoguchi: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def event_loop():  # -> asyncio.AbstractEventLoop
    """uvloop's event loop (libuv: faster sockets and callbacks) where installed, else asyncio's."""
    import asyncio

    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def cmd_serve(args: argparse.Namespace) -> int:
    if args.role == "counter":
        from bot.counter_cli import serve_counter

        return serve_counter(args)
    settings = _settings()
    if args.single_process and settings.workers > 1:
        print(f"madoguchi: configuration error: WORKERS={settings.workers} と --single-process は同時に使えません"
              "（--single-process はこのプロセスでターンを処理します）", file=sys.stderr)
        return 2
    if not args.single_process and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Web process and turn worker add up in one /metrics (bot.metrics): the directory must be
        # set before anything imports prometheus_client, and the worker inherits it.
        import atexit
        import shutil
        import tempfile

        metrics_dir = tempfile.mkdtemp(prefix="madoguchi-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        atexit.register(shutil.rmtree, metrics_dir, True)
    from aiohttp import web

    from bot.migrate import upgrade
    from bot.service import Role, build_service

    running = _hold_run_lock(settings)  # kept referenced: the lock lives as long as this process serves
    if running is False:
        return 2
    if not args.skip_migrate:
        upgrade(settings.database_url, settings.inbox_url)
    import tempfile

    from bot.dialogue_wiring import build_knowledge

    loop = event_loop()
    with tempfile.TemporaryDirectory(prefix="madoguchi-nlu-") as shared:
        if args.single_process:
            app = build_service(settings)
        else:
            knowledge = build_knowledge(settings, model_dir=settings.nlu_model_dir)
            if settings.nlu_model_dir is None:
                # The worker loads the model trained here: both processes answer with the same
                # model, and it is trained once.
                knowledge.interpreter.persist(shared)
                os.environ["NLU_MODEL_DIR"] = shared
            app = build_service(settings, knowledge=knowledge, role=Role.WEB,
                                worker_command=[sys.executable, "-m", "bot", "worker"])
        web.run_app(app, host=args.host or settings.host, port=args.port or settings.port,
                    print=lambda s: print(s, file=sys.stderr), loop=loop,
                    access_log=None)  # bot.logs.access_log_middleware writes the access log
    return 0


def _hold_run_lock(settings: Settings) -> RunLock | bool | None:
    """On SQLite, hold the lock that tells ``restore`` (and a second ``serve``) that the service runs
    on this database; it is released when the process ends, however it ends."""
    from bot.backup.running import RunLock
    from bot.backup.stores import Store

    store = Store("main", settings.database_url)
    if not store.sqlite:
        return None
    lock = RunLock(RunLock.path_for(store.path))
    if lock.acquire():
        return lock
    print(f"madoguchi: このデータベース（{store.path}）では、すでにサービスが動いています"
          f"（プロセス {lock.holder()}）", file=sys.stderr)
    return False


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _settings()
    from bot.service import Role, build_service
    from bot.worker import serve_worker

    # The first worker of an instance sends its deliveries (one sender per instance, as before the
    # pool: each keeps LINE's pace on its own); the others only run turns.
    app = build_service(settings, role=Role.WORKER, deliveries=args.index == 0)
    loop = event_loop()
    try:
        loop.run_until_complete(serve_worker(app))
    finally:
        loop.close()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings()
    from bot.migrate import upgrade

    upgrade(settings.database_url, settings.inbox_url)
    print("migrations applied", file=sys.stderr)
    return 0


def cmd_new_key(args: argparse.Namespace) -> int:
    from civic.crypto import new_key_text

    print(new_key_text())
    return 0


def cmd_create_staff(args: argparse.Namespace) -> int:
    import getpass

    if args.counter:
        from bot.counter_cli import create_counter_staff

        return create_counter_staff(args)
    settings = _settings()
    from bot.migrate import upgrade

    password = args.password or getpass.getpass("パスワード: ")
    upgrade(settings.database_url, settings.inbox_url)
    return create_staff_account(args, password, settings.database_url, settings.cipher(), what="職員アカウント")


def create_staff_account(args: argparse.Namespace, password: str, database_url: str, cipher: FieldCipher, *,
                         what: str) -> int:
    """The account of ``args`` in the migrated database at ``database_url`` (the service's or the
    counter's), the outcome told in Japanese; 2 when the service refuses it (login taken, weak password)."""
    import asyncio

    from civic.clock import SystemClock
    from civic.database import Database
    from civic.staff.errors import StaffError
    from civic.staff.services import create_staff

    async def create() -> None:
        db = Database(database_url, cipher)
        try:
            await create_staff(db, SystemClock(), args.login, password, args.name or args.login, args.role)
        finally:
            await db.dispose()

    try:
        asyncio.run(create())
    except StaffError as exc:
        print(f"madoguchi: {exc.message}", file=sys.stderr)
        return 2
    print(f"{what} {args.login}（ロール {args.role}）を作成しました。", file=sys.stderr)
    return 0


def _backup_setup() -> tuple[BackupConfig, list[Store]]:
    from bot.backup import BackupConfig
    from bot.backup.stores import stores_of

    settings = _settings()
    try:
        config = BackupConfig.from_env()
    except ValueError as exc:
        print(f"madoguchi: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return config, stores_of(settings.database_url, settings.inbox_url)


def cmd_backup(args: argparse.Namespace) -> int:
    import asyncio

    from bot.backup.generations import BackupError, backup, latest, verify

    config, stores = _backup_setup()
    dest = Path(args.dest) if args.dest else config.dest
    try:
        if args.verify:
            target = Path(args.verify) if args.verify != "latest" else latest(dest)
            checked = asyncio.run(verify(target, stores, config.key))
            print(f"{target} を試しに復元して確認しました（{checked.summary()}）。", file=sys.stderr)
            return 0
        made = asyncio.run(backup(stores, config.key, dest, args.keep or config.keep))
    except BackupError as exc:
        print(f"madoguchi: {exc}", file=sys.stderr)
        return 2
    print(f"バックアップを作成しました: {made}", file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    import asyncio

    from bot.backup.generations import BackupError, restore

    config, stores = _backup_setup()
    try:
        manifest = asyncio.run(restore(Path(args.backup), stores, config.key))
    except BackupError as exc:
        print(f"madoguchi: {exc}", file=sys.stderr)
        return 2
    print(f"{args.backup}（{manifest.created_at} 時点）を復元し、マイグレーションを適用しました。"
          "サービスを起動してください。", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import asyncio

    from bot.export import WARNING_EN, WARNING_JA, ExportError, export_all
    from civic.clock import SystemClock
    from civic.database import Database

    settings = _settings()

    async def run() -> int:
        db = Database(settings.database_url, settings.cipher())
        inbox = Database(settings.inbox_url, settings.cipher()) if settings.inbox_url != settings.database_url else db
        try:
            done = await export_all(db, inbox, Path(args.directory), SystemClock())
        finally:
            await db.dispose()
            if inbox is not db:
                await inbox.dispose()
        print(f"{len(done.tables)} 個の表（{sum(done.tables.values())} 件）を {done.directory} に書き出しました"
              "（README.md に形式の説明があります）。", file=sys.stderr)
        return 0

    print(f"\n*** {WARNING_JA}\n*** {WARNING_EN}\n", file=sys.stderr)
    try:
        return asyncio.run(run())
    except ExportError as exc:
        print(f"madoguchi: {exc}", file=sys.stderr)
        return 2


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(host=args.host, port=args.port, fresh=args.fresh)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Madoguchi LINE service")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the production service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--skip-migrate", action="store_true", help="do not apply migrations first")
    serve.add_argument("--single-process", action="store_true",
                       help="run turns in this process instead of a turn worker process")
    serve.add_argument("--role", choices=("web", "counter"), default="web",
                       help="counter: the 書かない窓口 on its own network and database, without LINE (bot.counter_role)")
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="the turn worker (started by serve; reads its events on stdin)")
    worker.add_argument("--index", type=int, default=0, help="which of the instance's WORKERS this is (its log file)")
    worker.set_defaults(func=cmd_worker)
    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)
    new_key = sub.add_parser("new-key", help="print a new data-encryption key")
    new_key.set_defaults(func=cmd_new_key)
    staff = sub.add_parser("create-staff", help="create a staff account (the first administrator)")
    staff.add_argument("login")
    staff.add_argument("--name", help="display name (default: the login)")
    staff.add_argument("--role", default="admin", help="admin, editor, delivery, facility, counter, viewer")
    staff.add_argument("--password", help="prompted for when not given")
    staff.add_argument("--counter", action="store_true", help="on the counter role's database (COUNTER_DATABASE_URL)")
    staff.set_defaults(func=cmd_create_staff)
    from bot.counter_cli import add_counter_key_parser

    add_counter_key_parser(sub)
    backup = sub.add_parser("backup", help="an encrypted backup of the databases, keeping N generations")
    backup.add_argument("--dest", help="directory of the generations (default BACKUP_DIR or var/backups)")
    backup.add_argument("--keep", type=int, help="generations to keep (default BACKUP_KEEP or 7)")
    backup.add_argument("--verify", nargs="?", const="latest", metavar="BACKUP",
                        help="restore a backup (default the latest) into a scratch location and check it")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup into the stopped service, then migrate")
    restore.add_argument("backup", help="the backup's directory")
    restore.set_defaults(func=cmd_restore)
    export = sub.add_parser("export", help="every table as CSV and JSON Lines, DECRYPTED, for a hand-over to another vendor")
    export.add_argument("directory", help="a new (or empty) directory")
    export.set_defaults(func=cmd_export)
    demo = sub.add_parser("demo", help="service + local LINE emulator + chat simulator, demo town seeded")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--fresh", action="store_true", help="start from an empty demo database")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from bot.logs import LogConfig, LogSettingsError, configure

    load_dotenv()
    args = build_parser().parse_args(argv)
    try:
        config = LogConfig.from_env(os.environ)
    except LogSettingsError as exc:
        print(f"madoguchi: configuration error: {exc}", file=sys.stderr)
        return 2
    # The worker writes its own file (LOG_DIR): two processes rotating one file would lose lines.
    configure(config, ("worker" + (f"-{args.index}" if args.index else "")) if args.command == "worker" else "web")
    return args.func(args)
