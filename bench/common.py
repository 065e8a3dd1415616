"""Shared helpers for the benchmarks: processes we start (and always stop), ports, figures."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0", "false", "no")
PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def figure(bench: str, metric: str, value, unit: str, baseline=None, ratio=None, **extra) -> dict:
    if ratio is None and baseline not in (None, 0) and value is not None:
        ratio = value / baseline
    out = {"bench": bench, "metric": metric, "value": _round(value), "unit": unit,
           "baseline": _round(baseline), "ratio": None if ratio is None else round(ratio, 3)}
    out.update(extra)
    return out


def _round(x):
    if x is None:
        return None
    return round(float(x), 2) if abs(x) < 1e6 else int(x)


def percentile(values, p: float):
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def venv_bin(name: str) -> str:
    return str(Path(PY).with_name(name))


class Procs:
    """Processes started by a bench, each in its own session; stop() ends them all (by pid)."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.children: list[subprocess.Popen] = []

    def start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        out = open(self.workdir / f"{name}.log", "ab")
        proc = subprocess.Popen(args, cwd=ROOT, env=env or dict(os.environ), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_die_with_parent)
        proc.bench_name = name
        out.close()
        self.children.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = 10) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        # anything left in its process group (gunicorn workers, forked horses)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc in self.children:
            self.children.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self.children)):
            self.stop(proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()


def _die_with_parent() -> None:
    import ctypes

    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def start_redis(procs: Procs, directory: Path) -> str:
    """A redis-server of our own on a unix socket, configured as in production (AOF, noeviction)."""
    from bot.storage.redis_server import redis_binary

    directory.mkdir(parents=True, exist_ok=True)
    sock = directory / "redis.sock"
    procs.start("redis", [redis_binary(), "--port", "0", "--unixsocket", str(sock),
                          "--unixsocketperm", "700", "--dir", str(directory),
                          "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                          "--maxmemory-policy", "noeviction", "--daemonize", "no"])
    import redis

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if redis.Redis(unix_socket_path=str(sock)).ping():
                return f"unix://{sock}"
        except redis.RedisError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def gunicorn_args(app: str, port: int, host: str = "127.0.0.1") -> list[str]:
    """The README's production settings: two workers, gthread, four threads each."""
    return [venv_bin("gunicorn"), app, "-b", f"{host}:{port}", "-w", "2", "-k", "gthread",
            "--threads", "4", "--graceful-timeout", "5", "--log-level", "warning"]


def children_of(pid: int) -> list[int]:
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(proc.name))
    return out


def vm_hwm_kib(pid: int) -> int:
    """Peak resident set size of a live process, from /proc/<pid>/status (KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def psql(sql: str, db: str = "postgres") -> None:
    import psycopg

    with psycopg.connect(f"{PG_ADMIN}/{db}", autocommit=True) as conn:
        conn.execute(sql)


def recreate_database(name: str) -> str:
    """Drop and create a database of our own; its SQLAlchemy URL."""
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    return f"{PG_ADMIN.replace('postgresql://', 'postgresql+psycopg://')}/{name}"


def drop_database(name: str) -> None:
    with contextlib.suppress(Exception):
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def tempdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"chb-bench-{prefix}-"))


def cleanup(work: Path) -> None:
    """Remove a bench's scratch directory (logs, data files) unless BENCH_KEEP=1."""
    if os.environ.get("BENCH_KEEP", "") in ("", "0"):
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    else:
        log(f"kept {work}")


def emit(rows: list[dict]) -> None:
    for row in rows:
        print(json.dumps(row, ensure_ascii=False), flush=True)
