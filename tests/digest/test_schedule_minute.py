"""Digests on the minute: the tick runs at the start of every minute, so a digest set for any
minute goes out in that minute, exactly once, with two workers (one restarted just before)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import event, select

from bot import clock
from bot.digest.jobs import tick
from bot.digest.schedule import TICK_CRON, build_cron
from bot.runtime import SCHEDULED_QUEUE
from bot.storage.db import get_engine, session_scope
from bot.storage.models import DigestLog, Organization
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
DAY = date(2026, 11, 21)  # a fixed day for the in-process tests (the clock is set to it)


def _prepare(settings, org, zalo, day: date, digest_time: str) -> None:
    set_org(settings.database_url, org, digest_time=digest_time)
    targets_for_year(settings.database_url, org, day.year)
    with session_scope(settings.database_url) as session:
        o, chapters = org_and_chapters(session, org)
        add_report(session, o, chapters[0], local(day, 0, 0), [("gifts", 20, 10_000_000)])
        add_report(session, o, chapters[1], local(day, 0, 1), [("blood_units", 8, None)])
    set_inbound(settings.database_url, COMMITTEE, clock.now() - timedelta(hours=2))
    sim_users(zalo, COMMITTEE)


def _digests(zalo, uid) -> list[dict]:
    return [m for m in sent(zalo, user_id=uid) if (m.get("text") or "").startswith("📋")]


# -- in process, on a fixed clock ----------------------------------------------------------------

def test_a_digest_is_due_from_its_minute_not_before(settings, org, zalo, rconn, clock_at):
    clock_at(local(DAY, 4, 25))
    _prepare(settings, org, zalo, DAY, "04:26")
    # Stopped clocks: a running one set to 04:25:59.9 could pass the minute before tick() reads it.
    with clock.fixed(local(DAY, 4, 25) + timedelta(seconds=59, microseconds=900_000)):
        assert tick() == "nothing due"
    with clock.fixed(local(DAY, 4, 26)):
        assert tick() == f"digest:{org}:{DAY.isoformat()}"


def test_two_ticks_in_a_minute_queue_one_send_and_one_digest_goes_out(settings, org, zalo, rconn, work,
                                                                      clock_at):
    clock_at(local(DAY, 4, 26) + timedelta(seconds=1))
    _prepare(settings, org, zalo, DAY, "04:26")
    q = Queue(SCHEDULED_QUEUE, connection=rconn)
    # Two workers' schedulers, and a third restarted just before the minute, each queue a tick.
    for _ in range(3):
        q.enqueue("bot.digest.jobs.tick")
    work()
    for uid in COMMITTEE:
        assert len(_digests(zalo, uid)) == 1
    clock_at(local(DAY, 4, 27))
    assert tick() == "nothing due"  # done today
    clock_at(local(DAY + timedelta(days=1), 4, 26))
    assert tick() == f"digest:{org}:{(DAY + timedelta(days=1)).isoformat()}"  # the next day's is due


def test_caught_up_once_after_downtime(settings, org, zalo, rconn, work, clock_at):
    clock_at(local(DAY, 22, 30))  # the workers were down from before 04:26 until 22:30
    _prepare(settings, org, zalo, DAY, "04:26")
    assert tick() == f"digest:{org}:{DAY.isoformat()}"
    work()
    assert tick() == "nothing due"
    for uid in COMMITTEE:
        assert len(_digests(zalo, uid)) == 1


def test_tick_is_one_query(settings, org, zalo, rconn, clock_at):
    clock_at(local(DAY, 21, 0))
    set_org(settings.database_url, org, digest_time="20:00", reminder_weekday=DAY.weekday(),
            reminder_time="17:00")
    with session_scope(settings.database_url) as session:
        for n in range(5):
            session.add(Organization(code=f"org-{n}", name=f"Hội {n}", timezone="Asia/Ho_Chi_Minh",
                                     digest_time=f"0{n}:00"))
        session.flush()
        ids = dict(session.execute(select(Organization.code, Organization.id)).all())
        # Done today, done yesterday (not today's), and started today (not done): only the first skips.
        for code, day, status in [("org-0", DAY, "done"), ("org-1", DAY - timedelta(days=1), "done"),
                                  ("org-2", DAY, "started")]:
            session.add(DigestLog(org_id=ids[code], day=day, kind="digest", status=status, created_at=clock.now()))
    statements = []
    engine = get_engine(settings.database_url)
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        queued = tick().split(",")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1, statements
    assert sorted(queued) == sorted([f"digest:{org}:{DAY}", f"reminder:{org}:{DAY}"]
                                    + [f"digest:org-{n}:{DAY}" for n in range(1, 5)])


def test_the_scheduler_ticks_at_start_and_then_on_each_minute(settings, rconn):
    cron = build_cron(settings)  # as worker.py builds it; driven by hand here, not started
    job = cron.scheduler.get_jobs()[0]
    assert job.cron == TICK_CRON and job.func_name == "bot.digest.jobs.tick"
    started = datetime.now(UTC)  # RQ's cron reads the system clock (rq.utils.now)
    nxt = job.next_enqueue_time
    assert nxt.second == 0 and nxt.microsecond == 0 and timedelta(0) < nxt - started <= timedelta(minutes=1)
    cron._round()  # the first round queues the catch-up tick; the cron job waits for its minute
    q = Queue(SCHEDULED_QUEUE, connection=rconn)
    funcs = [j.func_name for j in q.jobs]
    assert set(funcs) == {"bot.digest.jobs.tick"}
    assert len(funcs) == 1 or datetime.now(UTC) >= nxt  # two only if the minute turned meanwhile
    # At the minute's boundary the next run is the following boundary, never "start + 60 s".
    job.set_enqueue_time(nxt + timedelta(milliseconds=40))
    assert job.next_enqueue_time == nxt + timedelta(minutes=1)
    cron.conn.close()


# -- real worker processes on the real clock ----------------------------------------------------

def _worker(name: str, logdir) -> subprocess.Popen:
    out = open(logdir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    proc.stdout and proc.stdout.close()


def _sleep_until(instant: datetime) -> None:
    while (left := (instant - clock.system_now()).total_seconds()) > 0:
        time.sleep(min(left, 1))


def _next_minute(margin: int = 15) -> datetime:
    """The next whole minute at least ``margin`` s away whose local day is today's (a digest time
    of 00:00 set at 23:59 would be due at once, for the day that is ending)."""
    while True:
        now = clock.system_now()
        minute = (now + timedelta(seconds=margin + 60)).replace(second=0, microsecond=0)
        if minute.astimezone(VN).date() == now.astimezone(VN).date():
            return minute
        _sleep_until(minute + timedelta(seconds=1))


def _quiet(rconn) -> bool:
    q = Queue(SCHEDULED_QUEUE, connection=rconn)
    return q.count == 0 and StartedJobRegistry(queue=q).count == 0


def test_a_digest_arrives_in_its_minute_with_two_workers_one_restarted_just_before(
        settings, org, zalo, rconn, tmp_path, record_property):
    minute = _next_minute()
    day = minute.astimezone(VN).date()
    _prepare(settings, org, zalo, day, minute.astimezone(VN).strftime("%H:%M"))
    workers = [_worker("w1", tmp_path), _worker("w2", tmp_path)]
    try:
        _sleep_until(minute - timedelta(seconds=5))
        _stop(workers[1])  # restarted a few seconds before the minute (as systemd would)
        workers[1] = _worker("w2b", tmp_path)
        # Until every committee member has it, or the minute is over (then the assertion fails).
        while clock.system_now() < minute + timedelta(seconds=60):
            if all(_digests(zalo, uid) for uid in COMMITTEE):
                break
            time.sleep(0.2)
        # The next minute's ticks, from both schedulers, have run: nothing more goes out.
        _sleep_until(minute + timedelta(seconds=65))
        while not _quiet(rconn) and clock.system_now() < minute + timedelta(seconds=120):
            time.sleep(0.2)
    finally:
        for proc in workers:
            _stop(proc)
    logs = "\n".join((tmp_path / f"{n}.log").read_text(errors="replace")[-1500:] for n in ("w1", "w2", "w2b"))
    lateness = []
    for uid in COMMITTEE:
        digests = _digests(zalo, uid)
        assert len(digests) == 1, (uid, len(digests), logs)
        at = datetime.fromtimestamp(int(digests[0]["at"]) / 1000, UTC)
        assert minute <= at < minute + timedelta(minutes=1), (uid, at, minute, logs)
        lateness.append((at - minute).total_seconds())
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(DigestLog.status).where(DigestLog.day == day)) == "done"
    record_property("lateness_seconds", lateness)
    print(f"digest set for {minute:%H:%M} UTC, sent {lateness} s after it")
