"""Shared pieces of the fault, hostile and privacy tests: counts, signed bodies, real workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import requests
from rq import Queue
from sqlalchemy import func, select

from bot.runtime import QUEUES
from bot.storage.db import session_scope
from bot.storage.models import InboundEvent, OutboundMessage, Report
from bot.storage.redis_server import connect
from bot.web.signature import compute_signature

ROOT = Path(__file__).resolve().parents[2]
# Heads of one chapter each in the example org (…004 heads two and is asked which).
HEADS = [f"70020000000000000{n:02d}" for n in (1, 2, 3, 5, 6, 7, 8, 9, 10, 11)]
ADMINS = ["7001000000000000001", "7001000000000000002"]
STRANGER = "7999000000000000077"


def count(settings, model, *where) -> int:
    with session_scope(settings.database_url) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def stored(settings) -> tuple[int, int]:
    """(inbound events, reports) in the database."""
    return count(settings, InboundEvent), count(settings, Report)


def queued(redis_url: str) -> int:
    """Jobs waiting in any of our queues."""
    conn = connect(redis_url)
    try:
        return sum(Queue(q, connection=conn).count for q in QUEUES)
    finally:
        conn.close()


def sent(zalo, user_id: str | None = None) -> list[dict]:
    params = {"user_id": user_id} if user_id else {}
    return requests.get(f"{zalo.url}/__fake/sent", params=params, timeout=10).json()["messages"]


def stats(zalo) -> dict:
    return requests.get(f"{zalo.url}/__fake/stats", timeout=10).json()


def fail_next(zalo, path: str, count: int, mode: str = "error", **extra) -> None:
    body = {"path": path, "count": count, "mode": mode, **extra}
    requests.post(f"{zalo.url}/__fake/fail_next", json=body, timeout=5).raise_for_status()


def replies_by_quote(messages: list[dict]) -> Counter:
    """How many replies quote each inbound msg_id (one confirmation per report)."""
    return Counter(m["quote_message_id"] for m in messages if m.get("quote_message_id"))


def outbox_statuses(settings, kind: str = "reply") -> Counter:
    with session_scope(settings.database_url) as s:
        return Counter(s.scalars(select(OutboundMessage.status).where(OutboundMessage.kind == kind)))


def signed_body(settings, payload=None, *, raw: bytes | None = None, timestamp: str | None = None) -> tuple[bytes, dict]:
    """A body and the headers Zalo would send for it (signed with our test secrets)."""
    if timestamp is None:
        timestamp = str(payload.get("timestamp")) if isinstance(payload, dict) else "1700000000000"
    if raw is None:
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    mac = compute_signature(settings.zalo_app_id, raw, timestamp, settings.zalo_oa_secret_key)
    return raw, {"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={mac}"}


def text_event(settings, user_id: str, text: str, msg_id: str, **over) -> dict:
    event = {
        "app_id": settings.zalo_app_id,
        "user_id_by_app": "552177279717587730",
        "event_name": "user_send_text",
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": user_id},
        "recipient": {"id": "sim-oa"},
        "message": {"msg_id": msg_id, "text": text},
    }
    event.update(over)
    return event


class Workers:
    """Real ``python worker.py`` processes, each in its own process group (its RQ scheduler too)."""

    def __init__(self, log_dir: Path, **env):
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "LOG_LEVEL": "WARNING", **env}
        self.procs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        out = open(self.log_dir / f"worker-{len(self.procs)}.log", "wb")
        proc = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=self.env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.procs.append(proc)
        return proc

    def kill9(self, proc: subprocess.Popen) -> None:
        """SIGKILL the worker and everything it started, as when its host or container dies."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))


def wait_until(predicate, timeout: float, interval: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
