"""Live-reload benchmark (issue #16): how long from "publish" in the staff API to the new answer, in
the web process and in the turn worker; and how long a re-index takes at 2,000 FAQ entries and a
1,000-item garbage dictionary.

1. In this process: ``ContentReloader.build_faq`` on ``--entries`` FAQ entries (synthetic, from the
   demo town's) — cold (every text analysed and embedded) and after one edited entry (``previous=``,
   what a publish costs) — and ``build_garbage`` on ``--items`` items.
2. Real processes: ``python -m bot serve`` (web process + turn worker, SQLite in a temporary
   directory, linesim in this process). The FAQ grows to ``--entries`` through ``POST /faq/import``;
   then ``--rounds`` times an entry's answer is changed (``PATCH /faq/entries/{id}``) and we measure
   until ``GET /faq/try`` (the web process's index) shows it, and until a citizen asking at linesim
   gets the new answer (the turn worker's index), asking every 0.25 s.

Target: the new answer within 10 s in both processes.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bench.faq import synthetic_faq
from bench.webhook import KEY, REPO, SECRET, TOKEN, _free_port
from linesim import ChannelConfig, SimConfig
from linesim.driver import LineSim, run_linesim

QUESTION = "ドローンを飛ばしてもいいですか"


def in_process(args: argparse.Namespace) -> dict[str, Any]:
    from bot.content_reload import ContentReloader
    from nlu.encoder import load_encoder
    from nlu.faq_retrieval import FaqIndex
    from nlu.garbage_lookup import GarbageDictionary, GarbageItem
    from nlu.normalize import Morphology

    content = REPO / "content" / "midori"
    encoder = load_encoder(args.encoder)
    base = yaml.safe_load((content / "faq.yml").read_text(encoding="utf-8"))
    entries = synthetic_faq(base, args.entries)
    reloader = ContentReloader.__new__(ContentReloader)  # only its builders: no database, no loop
    reloader.town_dir, reloader._builder, reloader._synonyms = content, None, None
    empty = FaqIndex([], morphology=Morphology(), encoder=encoder)
    figures: dict[str, Any] = {"encoder": args.encoder, "faq_entries": len(entries)}
    reloader._training_synonyms()
    reloader._morphology()
    t0 = time.perf_counter()
    index = reloader.build_faq(entries, empty)
    figures["faq_reindex_cold_s"] = round(time.perf_counter() - t0, 2)
    edited = [{**e, "answer": e["answer"] + "（改定）"} if i == len(entries) // 2 else e for i, e in enumerate(entries)]
    t0 = time.perf_counter()
    reloader.build_faq(edited, index)
    figures["faq_reindex_one_edit_s"] = round(time.perf_counter() - t0, 2)
    items = GarbageDictionary.parse_csv((content / "garbage" / "target.csv").read_text(encoding="utf-8-sig"))
    many = [GarbageItem(name=f"{i.name}{'' if n == 0 else f'（{n}）'}", category=i.category, notes=i.notes,
                        reading=i.reading) for n in range(args.items // len(items) + 1) for i in items][: args.items]
    t0 = time.perf_counter()
    reloader.build_garbage(many)
    figures["garbage_items"] = len(many)
    figures["garbage_reindex_s"] = round(time.perf_counter() - t0, 2)
    return figures


def _start(port: int, sim_url: str, tmp: Path, encoder: str) -> tuple[subprocess.Popen, dict[str, str]]:
    env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": sim_url, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'reload.db'}",
           "DATA_ENCRYPTION_KEY": KEY, "CONTENT_DIR": str(REPO / "content"), "LOG_LEVEL": "WARNING",
           "NLU_ENCODER": encoder}
    subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "bot", "create-staff", "keisoku", "--name", "計測",
                    "--password", "bench-pass-2026"], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    log = (tmp / "bot.log").open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port), "--skip-migrate"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, env


async def _call(http: aiohttp.ClientSession, method: str, url: str, **kw: Any) -> Any:
    async with http.request(method, url, **kw) as r:
        if r.status >= 300:
            raise SystemExit(f"{method} {url}: {r.status} {await r.text()}")
        return await r.json()


async def processes(args: argparse.Namespace) -> dict[str, Any]:
    port = _free_port()
    bot = f"http://127.0.0.1:{port}"
    api = f"{bot}/admin/api/v1"
    config = SimConfig(channels=[ChannelConfig("production", SECRET, TOKEN, f"{bot}/callback")])
    figures: dict[str, Any] = {"rounds": args.rounds}
    with tempfile.TemporaryDirectory() as tmp:
        async with run_linesim(config) as started, aiohttp.ClientSession() as http:
            sim = LineSim(started.app, started.url, "production", strict=False)
            proc, _ = _start(port, sim.url, Path(tmp), args.encoder)
            try:
                for _ in range(1800):
                    assert proc.poll() is None, (Path(tmp) / "bot.log").read_text()[-3000:]
                    try:
                        async with http.get(f"{bot}/healthz") as r:
                            if r.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
                token = (await _call(http, "POST", f"{api}/auth/login",
                                     json={"login": "keisoku", "password": "bench-pass-2026"}))["token"]
                auth = {"Authorization": f"Bearer {token}"}
                for _ in range(100):  # the web process seeds the FAQ at start
                    if await _call(http, "GET", f"{api}/faq/entries", headers=auth, params={"status": "published"}):
                        break
                    await asyncio.sleep(0.1)
                base = yaml.safe_load((REPO / "content" / "midori" / "faq.yml").read_text(encoding="utf-8"))
                extra = [e for e in synthetic_faq(base, args.entries) if not e["id"].endswith("-0")][: max(0, args.entries - len(base))]
                if extra:
                    out = io.StringIO()
                    writer = csv.writer(out)
                    writer.writerow(["id", "question", "alternatives", "answer", "category", "status"])
                    writer.writerows([e["id"], e["question"], "\n".join(e.get("alternatives") or []), e["answer"],
                                      e.get("category", ""), "published"] for e in extra)
                    t0 = time.perf_counter()
                    await _call(http, "POST", f"{api}/faq/import", headers={**auth, "Content-Type": "text/csv"},
                                data=out.getvalue().encode())
                    figures["import_seconds"] = round(time.perf_counter() - t0, 2)
                entry = await _call(http, "POST", f"{api}/faq/entries", headers=auth, json={
                    "question": QUESTION, "answer": "ドローンの飛行は建設課にご相談ください。", "status": "published"})
                user = sim.create_user("計測 市民")
                t0 = time.perf_counter()  # the import and the new entry re-indexed in both processes
                while True:
                    live = await _call(http, "GET", f"{api}/faq/try", headers=auth, params={"q": QUESTION})
                    if live["hits"] and live["hits"][0]["entry_id"] == entry["id"]:
                        break
                    await asyncio.sleep(0.5)
                while not any("建設課" in json.dumps(e.message, ensure_ascii=False) for e in sim.channel.bot_messages(user)):
                    await sim.send_text(user, QUESTION)
                    await asyncio.sleep(1.0)
                figures["import_to_both_answering_s"] = round(time.perf_counter() - t0, 1)
                status = await _call(http, "GET", f"{api}/content/status", headers=auth)
                figures["faq_entries_live"] = status["sizes"]["faq"]
                web, worker = [], []
                for n in range(args.rounds):
                    marker = f"（改定{n + 1}回目）"
                    version = (await _call(http, "GET", f"{api}/content/status", headers=auth))["versions"]["faq"]
                    t0 = time.perf_counter()
                    await _call(http, "PATCH", f"{api}/faq/entries/{entry['id']}", headers=auth,
                                json={"answer": f"ドローンの飛行は建設課にご相談ください{marker}"})
                    seen_web = seen_worker = None
                    while seen_web is None or seen_worker is None:
                        if seen_web is None:  # the web process answers from the new version
                            status = await _call(http, "GET", f"{api}/content/status", headers=auth)
                            if status["versions"]["faq"] > version:
                                seen_web = time.perf_counter() - t0
                        if seen_worker is None:  # the citizen's answer, from the turn worker
                            before = len(sim.channel.bot_messages(user))
                            await sim.send_text(user, QUESTION)
                            for _ in range(200):
                                if len(sim.channel.bot_messages(user)) > before:
                                    break
                                await asyncio.sleep(0.05)
                            await asyncio.sleep(0.1)
                            said = [json.dumps(e.message, ensure_ascii=False)
                                    for e in sim.channel.bot_messages(user)[before:]]
                            if any(marker in text for text in said):
                                seen_worker = time.perf_counter() - t0
                        await asyncio.sleep(0.25)
                        if time.perf_counter() - t0 > 120:
                            raise SystemExit("no new answer within 120 s")
                    web.append(seen_web)
                    worker.append(seen_worker)
                figures["publish_to_web_s"] = {"median": round(statistics.median(web), 2), "max": round(max(web), 2)}
                figures["publish_to_worker_s"] = {"median": round(statistics.median(worker), 2),
                                                  "max": round(max(worker), 2)}
                status = await _call(http, "GET", f"{api}/content/status", headers=auth)
                figures["web_last_reindex_s"] = status["reindex_seconds"].get("faq")
            finally:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 30)
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench faq_reload")
    ap.add_argument("--entries", type=int, default=2000)
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--encoder", default="use", help="use | none")
    ap.add_argument("--skip-processes", action="store_true")
    ap.add_argument("--skip-in-process", action="store_true")
    args = ap.parse_args(argv)
    figures: dict[str, Any] = {}
    if not args.skip_in_process:
        figures = in_process(args)
        print(f"re-index in this process ({args.encoder}): {figures['faq_entries']} FAQ entries cold "
          f"{figures['faq_reindex_cold_s']} s, after one edit {figures['faq_reindex_one_edit_s']} s; "
          f"{figures['garbage_items']} garbage items {figures['garbage_reindex_s']} s")
    if not args.skip_processes:
        live = asyncio.run(processes(args))
        figures.update(live)
        print(f"running service ({live['faq_entries_live']} FAQ entries): publish → web process "
              f"{live['publish_to_web_s']}, → turn worker answer {live['publish_to_worker_s']} "
              f"(web re-index {live['web_last_reindex_s']} s)")
    print(json.dumps(figures, ensure_ascii=False))
    return 0
