"""End to end: signed reports from 500 chapters through the simulator → gunicorn → Redis/RQ →
two ``python worker.py`` → PostgreSQL → replies through the simulator's OA API.

Baseline: RQ no-op jobs per second through the SAME two worker processes (same class), enqueued
with the same options as an event. Latency: the event's timestamp (the simulator's clock, when it
signed and posted it) to the simulator's record of the reply that quotes it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import requests
from sqlalchemy import text

from bench.common import (
    PY,
    QUICK,
    Procs,
    children_of,
    cleanup,
    drop_database,
    figure,
    free_port,
    gunicorn_args,
    log,
    percentile,
    recreate_database,
    start_redis,
    tempdir,
    vm_hwm_kib,
)
from bot.devtools.up import wait_http
from bot.zalo.sim import SimulatorConfig

CHAPTERS = 500
HEAD = "8003{:015d}"
WORDS = ["qua {a}", "mau {b}", "hv moi {c}", "hoc bong {c}", "van dong {a}tr"]


def org_yaml(path, chapters: int = CHAPTERS) -> None:
    lines = ["organization:", "  code: bench-500", "  name: Hội Chữ thập đỏ (bench, 500 chi hội)",
             "  timezone: Asia/Ho_Chi_Minh", "  digest: {time: \"23:59\", sink: fanout}", "  committee:",
             "    - {zalo_user_id: \"8001000000000000001\", name: \"Ban Thường vụ\", role: admin}",
             "  chapters:"]
    for i in range(chapters):
        lines.append(f"    - {{code: CH{i:04d}, name: \"Chi hội số {i}\", kind: village, head: \"{HEAD.format(i)}\"}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def report_text(k: int) -> str:
    """Distinct per chapter within the 10-minute duplicate window, small figures (no outliers)."""
    a, b, c = 1 + k % 37, 1 + (k // 37) % 23, 1 + (k // 851) % 19
    return ", ".join(w.format(a=a, b=b, c=c) for w in WORDS[: 2 + k % 3])


class Sim:
    def __init__(self, url: str):
        self.url = url
        self.local = threading.local()

    def _s(self):
        if not hasattr(self.local, "s"):
            self.local.s = requests.Session()
        return self.local.s

    def deliver(self, user: str, text_: str) -> dict:
        r = self._s().post(f"{self.url}/__fake/deliver", json={"user_id": user, "text": text_}, timeout=30)
        r.raise_for_status()
        return r.json()

    def sent(self, since: int = 0) -> list[dict]:
        return requests.get(f"{self.url}/__fake/sent", params={"since": since}, timeout=60).json()["messages"]

    def total(self) -> int:
        return requests.get(f"{self.url}/__fake/stats", timeout=10).json()["sent"]


def drive(sim: Sim, n: int, start_k: int, rate: float | None, threads: int = 12) -> list[dict]:
    """Deliver n reports (round robin over the chapters), as fast as possible or at ``rate``/s."""
    t0 = time.perf_counter() + 0.1

    def one(k: int):
        if rate:
            delay = t0 + (k - start_k) / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        res = sim.deliver(HEAD.format(k % CHAPTERS), report_text(k))
        return res

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(start_k, start_k + n)))


def wait_replies(sim: Sim, want: int, since: int, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sim.total() - since >= want:
            break
        time.sleep(0.2)
    return sim.sent(since)


def latencies(delivered: list[dict], replies: list[dict]) -> tuple[list[float], dict]:
    by_quote: dict[str, list[dict]] = {}
    for m in replies:
        by_quote.setdefault(m.get("quote_message_id"), []).append(m)
    lat, missing, doubled = [], 0, 0
    for d in delivered:
        got = by_quote.get(d["msg_id"], [])
        if not got:
            missing += 1
            continue
        doubled += len(got) > 1
        lat.append(int(got[0]["at"]) - int(d["timestamp"]))
    return lat, {"missing": missing, "doubled": doubled}


def noop_rate(conn, n: int) -> float:
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    from bot.runtime import EVENTS_QUEUE
    from bot.web.queue import EVENT_RETRY

    q = Queue(EVENTS_QUEUE, connection=conn)
    reg = FinishedJobRegistry(EVENTS_QUEUE, connection=conn)
    before = reg.count
    jobs = [Queue.prepare_data("bench.noop.noop", args=("oa", "{}"), retry=EVENT_RETRY, timeout=120,
                               result_ttl=600, failure_ttl=3600, description="noop") for _ in range(n)]
    t0 = time.perf_counter()
    q.enqueue_many(jobs)
    while reg.count - before < n:
        if time.perf_counter() - t0 > 300:
            raise RuntimeError("no-op jobs did not finish")
        time.sleep(0.02)
    return n / (time.perf_counter() - t0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live children (gunicorn's workers), in seconds."""
    total = 0.0
    for p in [pid, *children_of(pid)]:
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def run() -> tuple[list[dict], dict]:
    work = tempdir("e2e")
    n = 2000 if QUICK else 10_000
    n_rate = 500 if QUICK else 1500
    n_noop = 1000 if QUICK else 3000
    worker_class = os.environ.get("BENCH_WORKER_CLASS", "simple")
    cfg = SimulatorConfig()
    db_url = recreate_database("bench_e2e")
    try:
        with Procs(work) as procs:
            redis_url = start_redis(procs, work / "redis")
            import redis

            rconn = redis.Redis.from_url(redis_url)
            port, sim_port = free_port(), free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "ZALO_"))}
            sim_url = f"http://127.0.0.1:{sim_port}"
            env.update(REDIS_URL=redis_url, DATABASE_URL=db_url, ZALO_APP_ID=cfg.app_id,
                       ZALO_APP_SECRET=cfg.app_secret, ZALO_OA_SECRET_KEY=cfg.oa_secret_key,
                       ZALO_REFRESH_TOKEN=cfg.initial_refresh_token, ZALO_OPENAPI_URL=sim_url,
                       ZALO_OAUTH_URL=sim_url, LOG_LEVEL="WARNING", VAR_DIR=str(work / "var"),
                       WORKER_CLASS=worker_class,
                       # a head sends 20 reports in a minute or two here, never in real life
                       REPLY_LIMIT_PER_MINUTE="100000")
            from bot.devtools.orgs import import_org, load_org_file
            from bot.storage.db import session_scope, upgrade

            upgrade(db_url)
            org_yaml(work / "org.yaml")
            with session_scope(db_url) as s:
                import_org(s, load_org_file(str(work / "org.yaml")), datetime.now(UTC))
            sim_proc = procs.start("simulator", [PY, "-m", "bench.simrun", "127.0.0.1", str(sim_port),
                                                 f"http://127.0.0.1:{port}/webhook/zalo"], env)
            wait_http(f"{sim_url}/__fake/stats", proc=sim_proc)
            web = procs.start("gunicorn", gunicorn_args("app:create_app()", port), env)
            workers = [procs.start(f"worker{i}", [PY, "worker.py"], env) for i in range(2)]
            wait_http(f"http://127.0.0.1:{port}/healthz", proc=web)
            time.sleep(2)  # workers registered
            sim = Sim(sim_url)

            rate_noop = noop_rate(rconn, n_noop)
            log(f"e2e: RQ no-op jobs with 2 {worker_class} workers: {rate_noop:.0f}/s")
            worker_peak_noop = max(vm_hwm_kib(w.pid) for w in workers)

            # warm-up: every chapter's first report (also makes every head known to the simulator)
            drive(sim, CHAPTERS, 0, None)
            wait_replies(sim, CHAPTERS, 0, 300)
            since = sim.total()

            log(f"e2e: {n} reports as fast as the simulator delivers them")
            mine = {"web": [web], "workers": workers, "simulator": [sim_proc], "redis": procs.children[:1]}
            cpu0 = {k: sum(cpu_seconds(p.pid) for p in v) for k, v in mine.items()}
            t0 = time.time()
            delivered = drive(sim, n, CHAPTERS, None)
            t_posted = time.time()
            replies = wait_replies(sim, n, since, 900)
            lat, check = latencies(delivered, replies)
            first = min(int(d["timestamp"]) for d in delivered)
            last = max(int(m["at"]) for m in replies) if replies else first
            rate = len(lat) / ((last - first) / 1000)
            log(f"e2e: posted {n} in {t_posted - t0:.1f}s; replied {len(lat)} at {rate:.0f}/s; {check}")
            wall = time.time() - t0
            cpu = {k: round((sum(cpu_seconds(p.pid) for p in v) - cpu0[k]) / n * 1000, 2) for k, v in mine.items()}
            log(f"e2e: CPU ms per report by process group: {cpu} (wall {wall:.0f}s, load {os.getloadavg()})")

            since = sim.total()
            log(f"e2e: {n_rate} reports at 50/s")
            delivered50 = drive(sim, n_rate, CHAPTERS + n, 50.0)
            replies50 = wait_replies(sim, n_rate, since, 300)
            lat50, check50 = latencies(delivered50, replies50)
            log(f"e2e at 50/s: p50 {percentile(lat50, 50)} ms p95 {percentile(lat50, 95)} ms; {check50}")

            web_peak = max(vm_hwm_kib(p) for p in children_of(web.pid))
            worker_peak = max(vm_hwm_kib(w.pid) for w in workers)
            total = CHAPTERS + n + n_rate
            # The other worker class, for the record: RQ's forking Worker, same two processes' worth.
            for w in workers:
                procs.stop(w)
            fork_env = {**env, "WORKER_CLASS": "fork" if worker_class == "simple" else "simple"}
            other = [procs.start(f"worker-other{i}", [PY, "worker.py"], fork_env) for i in range(2)]
            time.sleep(2)
            rate_noop_other = noop_rate(rconn, n_noop // 3)
            n_other = 150 if QUICK else 300
            since = sim.total()
            t_other = time.time()
            delivered_o = drive(sim, n_other, CHAPTERS + n + n_rate, None)
            replies_o = wait_replies(sim, n_other, since, 900)
            lat_o, check_o = latencies(delivered_o, replies_o)
            first_o = min(int(d["timestamp"]) for d in delivered_o)
            last_o = max(int(m["at"]) for m in replies_o) if replies_o else first_o
            rate_other = len(lat_o) / max(0.001, (last_o - first_o) / 1000)
            log(f"e2e with {fork_env['WORKER_CLASS']} workers: no-op {rate_noop_other:.0f}/s, "
                f"{n_other} reports at {rate_other:.0f}/s ({time.time() - t_other:.0f}s); {check_o}")
            total += n_other
            for w in other + [web, sim_proc]:
                procs.stop(w)
            from bot.storage.db import get_engine

            with get_engine(db_url).connect() as c:
                stored = c.execute(text("SELECT count(*), count(DISTINCT event_id) FROM reports")).one()
                events_n = c.execute(text("SELECT count(*) FROM inbound_events")).scalar()
                sent_n = c.execute(text("SELECT count(*) FROM outbound_messages WHERE status='sent'")).scalar()
            log(f"e2e: stored {stored[0]} reports ({stored[1]} events) of {total}; {events_n} events; {sent_n} sent")
    finally:
        from bot.storage.db import dispose_all

        dispose_all()
        drop_database("bench_e2e")
        cleanup(work)
    ok = (stored[0] == total and stored[1] == total and not check["missing"] and not check["doubled"]
          and not check_o["missing"] and not check_o["doubled"])
    rows = [
        figure("end_to_end", "reports_per_second", rate, "reports/s", rate_noop, workers=2,
               worker_class=worker_class, reports=n, stored_once_replied_once=ok,
               cpu_ms_per_report=cpu),
        figure("end_to_end", "p95_webhook_to_reply_at_50_per_s", percentile(lat50, 95), "ms", None,
               p50=percentile(lat50, 50), reports=n_rate),
        figure("end_to_end", "p95_webhook_to_reply_saturated", percentile(lat, 95), "ms", None),
        figure("end_to_end", f"reports_per_second_{fork_env['WORKER_CLASS']}_workers", rate_other, "reports/s",
               rate, baseline_is=f"the same reports with {worker_class} workers", reports=n_other,
               noop_jobs_per_second=round(rate_noop_other, 1)),
    ]
    return rows, {"web_peak_kib": web_peak, "worker_peak_kib": worker_peak,
                  "worker_peak_noop_kib": worker_peak_noop}


if __name__ == "__main__":
    rows, mem = run()
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    print(json.dumps(mem))
