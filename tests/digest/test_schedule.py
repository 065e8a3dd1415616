"""The schedule: what is due when (local time), the tick, and exactly one digest per recipient
whatever the number of workers, schedulers and restarts (real Redis, real worker processes)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import requests
from rq import Queue
from sqlalchemy import select

from bot import clock
from bot.digest.jobs import due, send_digest, tick
from bot.runtime import SCHEDULED_QUEUE
from bot.storage.db import session_scope
from bot.storage.models import DigestLog, OutboundMessage
from bot.zalo import errors
from tests.conftest import ROOT
from tests.digest.helpers import (
    COMMITTEE,
    add_report,
    local,
    org_and_chapters,
    sent,
    set_inbound,
    set_org,
    sim_users,
    targets_for_year,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _org(**kw):
    base = dict(timezone="Asia/Ho_Chi_Minh", digest_time="20:00", reminder_weekday=None, reminder_time=None)
    return SimpleNamespace(**{**base, **kw})


def test_due_follows_local_time():
    org = _org(reminder_weekday=4, reminder_time="17:00")  # Fridays at 17:00 local
    friday = datetime(2026, 11, 20, tzinfo=UTC)  # a Friday; Vietnam is UTC+7
    assert due(org, friday.replace(hour=9, minute=59)) == []  # 16:59 local
    assert due(org, friday.replace(hour=10)) == [("reminder", friday.date())]
    assert due(org, friday.replace(hour=12, minute=59)) == [("reminder", friday.date())]
    assert due(org, friday.replace(hour=13)) == [("digest", friday.date()), ("reminder", friday.date())]
    # 23:59 local is still Friday's; 00:00 local is Saturday's, whose 20:00 has not come.
    assert due(org, friday.replace(hour=16, minute=59)) == [("digest", friday.date()), ("reminder", friday.date())]
    assert due(org, friday.replace(hour=17)) == []
    # A scheduler back at 22:30 local the same day still finds the digest due (caught up once).
    assert ("digest", friday.date()) in due(org, friday.replace(hour=15, minute=30))


def _setup(settings, org, zalo):
    day = clock.now().astimezone(VN).date()
    set_org(settings.database_url, org, digest_time="00:00")  # always due: today's digest
    targets_for_year(settings.database_url, org, day.year)  # the chart draws the year's targets
    with session_scope(settings.database_url) as session:
        o, chapters = org_and_chapters(session, org)
        add_report(session, o, chapters[0], local(day, 0, 0), [("gifts", 20, 10_000_000)])
        add_report(session, o, chapters[1], local(day, 0, 1), [("blood_units", 8, None)])
    set_inbound(settings.database_url, COMMITTEE, clock.now() - timedelta(hours=2))
    sim_users(zalo, COMMITTEE)
    return day


def test_tick_enqueues_until_done(settings, org, zalo, rconn, work):
    day = _setup(settings, org, zalo)
    assert tick() == f"digest:{org}:{day.isoformat()}"
    assert tick() == "nothing due"  # the same job id is not queued twice
    assert Queue(SCHEDULED_QUEUE, connection=rconn).count == 1
    work()
    assert tick() == "nothing due"
    for uid in COMMITTEE:
        assert sum((m.get("text") or "").startswith("📋") for m in sent(zalo, user_id=uid)) == 1


WORKER = """
import sys, time
from bot.config import Settings
from bot.digest.schedule import start_cron
from worker import build_worker
settings = Settings.from_env()
cron = start_cron(settings, interval=1)   # a scheduler in this worker process, as worker.py runs it
time.sleep(2.5)
try:
    build_worker(settings, name=sys.argv[1]).work(burst=True, with_scheduler=False)
finally:
    cron.stop()
"""


def _run_workers(names):
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, name], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for name in names]
    for p in procs:
        out, _ = p.communicate(timeout=180)
        assert p.returncode == 0, out.decode(errors="replace")[-3000:]


def test_two_workers_two_schedulers_and_a_restart_send_one_digest_each(settings, org, zalo, rconn, work):
    day = _setup(settings, org, zalo)

    # The first attempt dies at digest time: its first send gets a 500 (as if the worker fell over).
    requests.post(f"{zalo.url}/__fake/fail_next", json={"path": "/v3.0/oa/message/cs", "mode": "http500"},
                  timeout=5).raise_for_status()
    with pytest.raises(errors.Transient):
        send_digest(org, day.isoformat())
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(DigestLog.status)) == "started"
        recorded = session.scalars(select(OutboundMessage.text).where(OutboundMessage.kind == "digest")).all()
        assert len(recorded) == len(COMMITTEE)
        # A report arriving after the crash: the resumed send carries what was recorded, not a new digest.
        o, chapters = org_and_chapters(session, org)
        add_report(session, o, chapters[2], clock.now(), [("houses", 3, None)])

    # Back up: ticks and duplicate sends queued by two schedulers, then two workers each with a scheduler.
    q = Queue(SCHEDULED_QUEUE, connection=rconn)
    for _ in range(3):
        q.enqueue("bot.digest.jobs.tick")
        q.enqueue("bot.digest.jobs.send_digest", org, day.isoformat())
    _run_workers(["w1", "w2"])
    assert len(sent(zalo, channel="oa")) >= len(COMMITTEE)  # the worker processes sent it
    work()

    for uid in COMMITTEE:
        msgs = sent(zalo, user_id=uid)
        digests = [m["text"] for m in msgs if (m.get("text") or "").startswith("📋")]
        assert len(digests) == 1, (uid, len(digests))
        assert digests[0] in recorded and "Nhà" not in digests[0]
        assert sum(1 for m in msgs if m.get("attachment_id")) == 1
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(DigestLog.status)) == "done"

    # Another restart later the same evening: nothing more goes out.
    total = len(sent(zalo))
    q.enqueue("bot.digest.jobs.send_digest", org, day.isoformat())
    _run_workers(["w3", "w4"])
    work()
    assert len(sent(zalo)) == total


def test_start_cron_enqueues_ticks_and_stops(settings, rconn):
    from bot.digest.schedule import start_cron

    cron = start_cron(settings, interval=1)
    try:
        deadline = time.monotonic() + 5
        q = Queue(SCHEDULED_QUEUE, connection=rconn)
        while q.count < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert q.count >= 2
        assert all(j.func_name == "bot.digest.jobs.tick" for j in q.jobs)
    finally:
        cron.stop()
    assert not cron.thread.is_alive()
