"""Webhook throughput and latency: the real ``POST /webhook/zalo`` under gunicorn (2 workers,
gthread, 4 threads) against a bare Flask endpoint doing one Redis RPUSH, same server settings.

Saturation: wrk (Debian's package; installed with apt-get if missing) replaying pre-signed events
with distinct msg_ids over keep-alive connections. Fixed rate: an open-loop Python generator at
300 requests/s, latency counted from each request's scheduled time (no coordinated omission).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path

from bench.common import (
    QUICK,
    Procs,
    children_of,
    cleanup,
    figure,
    free_port,
    gunicorn_args,
    log,
    percentile,
    start_redis,
    tempdir,
    vm_hwm_kib,
)
from bot.devtools.up import wait_http
from bot.zalo.sim import SimulatorConfig, WebhookDriver

WRK_LUA = r"""
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  reqs = {}
  local n = 0
  for line in io.lines(path) do
    if n % nthreads == tid then
      local tab = string.find(line, "\t", 1, true)
      local sig, body = string.sub(line, 1, tab - 1), string.sub(line, tab + 1)
      table.insert(reqs, wrk.format("POST", "/webhook/zalo",
        {["Content-Type"] = "application/json", ["X-ZEvent-Signature"] = sig}, body))
    end
    n = n + 1
  end
  idx = 0
end
function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end
function done(summary, latency, requests)
  io.write(string.format('WRK {"requests": %d, "duration_us": %d, "status_errors": %d, ' ..
    '"socket_errors": %d, "p50_us": %d, "p99_us": %d}\n', summary.requests, summary.duration,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
"""

USERS = [f"80020000000000{i:05d}" for i in range(500)]
TEXTS = ["qua 20 tri gia 10tr, mau 8, hv moi 5", "hiến máu 12 đơn vị", "trao 5 suất học bổng",
         "tặng 30 suất quà trị giá 15 triệu", "vận động 3tr500, hội viên mới 2"]


def ensure_wrk() -> str | None:
    wrk = shutil.which("wrk")
    if wrk is None and os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk (apt-get install wrk)")
        subprocess.run("apt-get install -y -qq wrk >/dev/null 2>&1 || "
                       "(apt-get update -qq && apt-get install -y -qq wrk) >/dev/null 2>&1",
                       shell=True, check=False,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        wrk = shutil.which("wrk")
    return wrk


def signed_events(n: int, prefix: str) -> list[tuple[str, bytes]]:
    cfg = SimulatorConfig()
    driver = WebhookDriver("http://unused", cfg.app_id, cfg.oa_secret_key, cfg.oa_id, id_prefix=prefix)
    out = []
    for i in range(n):
        body = driver.encode(driver.build_user_text(USERS[i % len(USERS)], TEXTS[i % len(TEXTS)]))
        out.append((driver.sign(body), body))
    driver.close()
    return out


def run_wrk(wrk: str, port: int, events, workdir: Path, seconds: int, conns: int = 16) -> dict:
    data = workdir / "requests.tsv"
    data.write_bytes(b"".join(sig.encode() + b"\t" + body + b"\n" for sig, body in events))
    script = workdir / "replay.lua"
    script.write_text(WRK_LUA)
    out = subprocess.run([wrk, "-t2", f"-c{conns}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script),
                          f"http://127.0.0.1:{port}/webhook/zalo", "--", str(data), "2"],
                         capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    res = json.loads(line[4:])
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    return res


def fixed_rate(port: int, events, rate: float, seconds: float, threads: int = 16) -> dict:
    """Open loop: request k is due at start + k/rate; latency from its due time to the answer."""
    total = int(rate * seconds)
    events = events[:total]
    lat: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def worker(slot: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, codes = [], {}
        for k in range(slot, len(events), threads):
            due = start + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sig, body = events[k]
            try:
                conn.request("POST", "/webhook/zalo", body,
                             {"Content-Type": "application/json", "X-ZEvent-Signature": sig})
                resp = conn.getresponse()
                resp.read()
                code = resp.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                code = 0
            mine.append((time.perf_counter() - due) * 1000)
            codes[code] = codes.get(code, 0) + 1
        conn.close()
        with lock:
            lat.extend(mine)
            for c, n in codes.items():
                statuses[c] = statuses.get(c, 0) + n

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return {"p50": percentile(lat, 50), "p99": percentile(lat, 99), "n": len(lat), "statuses": statuses,
            "lat": lat}


def _serve(procs: Procs, name: str, app: str, env: dict) -> tuple[object, int]:
    port = free_port()
    proc = procs.start(name, gunicorn_args(app, port), env)
    wait_http(f"http://127.0.0.1:{port}/healthz", proc=proc)
    return proc, port


def run() -> list[dict]:
    work = tempdir("webhook")
    seconds = 5 if QUICK else 6
    rounds = 2 if QUICK else 5
    wrk = ensure_wrk()
    cfg = SimulatorConfig()
    with Procs(work) as procs:
        redis_url = start_redis(procs, work / "redis")
        import redis

        rconn = redis.Redis.from_url(redis_url)
        env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": f"sqlite:///{work / 'bot.db'}",
               "ZALO_APP_ID": cfg.app_id, "ZALO_APP_SECRET": cfg.app_secret,
               "ZALO_OA_SECRET_KEY": cfg.oa_secret_key, "LOG_LEVEL": "WARNING", "VAR_DIR": str(work / "var")}
        env = {k: v for k, v in env.items() if not k.startswith("TEST_")}
        from bot.storage.db import upgrade

        upgrade(env["DATABASE_URL"])
        results = {"app": [], "bare": []}
        fixed = {}
        peaks = {}
        n_events = int(3500 * seconds) + 1000
        servers = {name: _serve(procs, f"gunicorn-{name}", app, env)
                   for name, app in (("app", "app:create_app()"), ("bare", "bench.bare_app:create_app()"))}
        # Rounds alternate between the two servers so that other load on the machine hits both alike.
        for r in range(rounds + 1):  # round 0 warms up
            for name, (_proc, port) in servers.items():
                rconn.flushdb()
                events = signed_events(n_events, f"{name[0]}{r}{int(time.time()) & 0xffff:04x}")
                if wrk:
                    res = run_wrk(wrk, port, events, work, 3 if r == 0 else seconds)
                else:
                    res = _python_closed_loop(port, events, 3 if r == 0 else seconds)
                if r:
                    results[name].append(res)
                    log(f"webhook {name}: {res['rps']:.0f} req/s p50 {res['p50_us']/1000:.2f} ms "
                        f"p99 {res['p99_us']/1000:.2f} ms non-2xx {res['status_errors']}")
        # 300 requests/s, open loop, in alternating 5-second segments (noise hits both alike)
        segments = 2 if QUICK else 4
        lats = {"app": [], "bare": []}
        codes = {"app": {}, "bare": {}}
        for seg in range(segments):
            for name, (_proc, port) in servers.items():
                rconn.flushdb()
                time.sleep(0.3)
                events = signed_events(1510, f"f{name[0]}{seg}{int(time.time()) & 0xffff:04x}")
                res = fixed_rate(port, events, 300, 5)
                lats[name] += res["lat"]
                for c, k in res["statuses"].items():
                    codes[name][c] = codes[name].get(c, 0) + k
        for name in servers:
            fixed[name] = {"p50": percentile(lats[name], 50), "p99": percentile(lats[name], 99),
                           "n": len(lats[name]), "statuses": codes[name]}
            log(f"webhook {name} at 300/s: p50 {fixed[name]['p50']:.2f} ms p99 {fixed[name]['p99']:.2f} ms "
                f"statuses {codes[name]}")
        for name, (proc, _port) in servers.items():
            peaks[name] = max(vm_hwm_kib(p) for p in children_of(proc.pid))
            procs.stop(proc)
    cleanup(work)
    # Other load on this machine comes and goes: each round pairs the app with the baseline run
    # right after it, and the figures are medians over the rounds (the ratio: median of the pairs).
    med = lambda xs: statistics.median(xs)  # noqa: E731
    a = {k: med([r[k] for r in results["app"]]) for k in ("rps", "p50_us", "p99_us", "status_errors")}
    b = {k: med([r[k] for r in results["bare"]]) for k in ("rps", "p50_us", "p99_us", "status_errors")}
    pair = med([x["rps"] / y["rps"] for x, y in zip(results["app"], results["bare"], strict=False)])
    how = "wrk" if wrk else "python"
    return [
        figure("webhook", "requests_per_second", a["rps"], "req/s", b["rps"], ratio=pair, load=how,
               rounds=len(results["app"]), round_rps=[round(r["rps"]) for r in results["app"]],
               baseline_round_rps=[round(r["rps"]) for r in results["bare"]],
               non_2xx=sum(r["status_errors"] for r in results["app"])),
        figure("webhook", "p50_latency_saturated", a["p50_us"] / 1000, "ms", b["p50_us"] / 1000),
        figure("webhook", "p99_latency_saturated", a["p99_us"] / 1000, "ms", b["p99_us"] / 1000),
        figure("webhook", "p50_latency_at_300rps", fixed["app"]["p50"], "ms", fixed["bare"]["p50"]),
        figure("webhook", "p99_latency_at_300rps", fixed["app"]["p99"], "ms", fixed["bare"]["p99"],
               non_200=sum(n for c, n in fixed["app"]["statuses"].items() if c != 200)),
    ], peaks


def _python_closed_loop(port: int, events, seconds: float, threads: int = 16) -> dict:
    """Fallback when wrk is missing: threads sending back to back for ``seconds``."""
    stop = time.perf_counter() + seconds
    lat, lock, errors = [], threading.Lock(), [0]

    def worker(slot: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        for k in range(slot, len(events), threads):
            if time.perf_counter() >= stop:
                break
            sig, body = events[k]
            t0 = time.perf_counter()
            conn.request("POST", "/webhook/zalo", body,
                         {"Content-Type": "application/json", "X-ZEvent-Signature": sig})
            resp = conn.getresponse()
            resp.read()
            mine.append((time.perf_counter() - t0) * 1e6)
            if resp.status != 200:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            lat.extend(mine)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dur = time.perf_counter() - t0
    return {"requests": len(lat), "duration_us": dur * 1e6, "status_errors": errors[0], "socket_errors": 0,
            "p50_us": percentile(lat, 50), "p99_us": percentile(lat, 99), "rps": len(lat) / dur}


if __name__ == "__main__":
    rows, _ = run()
    for row in rows:
        print(json.dumps(row))
