"""``make bench``: every figure as one JSON line on stdout (progress goes to stderr).

BENCH_QUICK=1 runs a smaller version of each. BENCH_ONLY=webhook,queries picks benches.
Every bench starts its own redis-server, PostgreSQL databases, gunicorn, workers and simulator
and stops them (by pid) when it ends, whatever happens.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import sys
import time
import traceback

from bench.common import QUICK, emit, figure, log


def _machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    mem = next((int(ln.split()[1]) for ln in open("/proc/meminfo") if ln.startswith("MemTotal")), 0)
    return {"cpus": os.cpu_count(), "cpu": cpu, "mem_gib": round(mem / 2**20, 1),
            "python": platform.python_version(), "load_avg": os.getloadavg(), "quick": QUICK}


def main() -> int:
    only = {b for b in os.environ.get("BENCH_ONLY", "").split(",") if b}
    want = lambda name: not only or name in only  # noqa: E731
    log(f"machine: {json.dumps(_machine())}")
    failed = []
    started = time.perf_counter()
    mem_web_base = None
    if want("webhook"):
        try:
            from bench import webhook

            rows, peaks = webhook.run()
            emit(rows)
            mem_web_base = peaks.get("bare")
        except Exception:
            traceback.print_exc()
            failed.append("webhook")
    if want("end_to_end"):
        try:
            from bench import end_to_end

            rows, mem = end_to_end.run()
            emit(rows)
            emit([figure("memory_web", "peak_rss_gunicorn_worker", mem["web_peak_kib"] / 1024, "MiB",
                         None if mem_web_base is None else mem_web_base / 1024,
                         baseline_is="the bare Flask+RPUSH gunicorn worker under wrk"),
                  figure("memory_worker", "peak_rss_worker", mem["worker_peak_kib"] / 1024, "MiB",
                         mem["worker_peak_noop_kib"] / 1024,
                         baseline_is="the same worker processes after the no-op jobs")])
        except Exception:
            traceback.print_exc()
            failed.append("end_to_end")
    if want("parser") and importlib.util.find_spec("bench.parser") is not None:
        try:
            from bench import parser

            emit(parser.run())
        except Exception:
            traceback.print_exc()
            failed.append("parser")
    if want("queries"):
        try:
            from bench import queries

            emit(queries.run())
        except Exception:
            traceback.print_exc()
            failed.append("queries")
    log(f"done in {time.perf_counter() - started:.0f}s" + (f"; FAILED: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
