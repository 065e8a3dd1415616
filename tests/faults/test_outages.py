"""Redis and the database going away in the middle of a burst.

Redis (its own embedded server with AOF): the webhook answers 503 while it is away, Zalo
redelivers, every event is stored once, and the jobs queued before the stop survive it.

The database: on SQLite another connection holds an EXCLUSIVE lock (what "unavailable" looks like
for a file database); since our busy timeout is 30 s, the lock is held 35 s so jobs do fail with
"database is locked". On PostgreSQL our own database refuses connections and its backends are
terminated for 12 s (jobs fail at once; 12 s spans three of RQ's retry intervals). Jobs are retried
by a real ``python worker.py`` (with RQ's scheduler); nothing is lost.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

import pytest
import requests
from rq import Queue
from rq.job import Job
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from bot import clock
from bot.runtime import EVENTS_QUEUE
from bot.storage.db import dispose_all, session_scope, upgrade
from bot.storage.redis_server import EmbeddedRedis, connect
from bot.web.queue import job_id_for
from tests.conftest import EXAMPLE_ORG, drain
from tests.faults.helpers import HEADS, Workers, replies_by_quote, sent, stored, wait_until

pytestmark = pytest.mark.fault


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_redis_restart_mid_burst_503_then_everything_stored_once(settings, org, zalo, tmp_path, monkeypatch):
    from app import create_app

    redis = EmbeddedRedis(tmp_path / "redis", appendonly=True)
    redis.start()
    monkeypatch.setenv("REDIS_URL", redis.url)
    server = _serve(create_app(settings.with_overrides(redis_url=redis.url)))
    zalo.config.webhook_url = f"http://127.0.0.1:{server.server_port}/webhook/zalo"
    try:
        session = requests.Session()
        statuses: list[int] = []
        accepted: dict[str, str] = {}

        def deliver(i: int, retry: bool):
            msg_id = f"{0xB0000 + i:020x}"
            while True:
                r = session.post(f"{zalo.url}/__fake/deliver", json={
                    "user_id": HEADS[i % len(HEADS)], "text": f"qua {i // len(HEADS) + 1}, mau 2", "msg_id": msg_id}, timeout=10).json()
                statuses.append(r["status"])
                if r["status"] == 200:
                    accepted[msg_id] = HEADS[i % len(HEADS)]
                    return
                if not retry:
                    return
                time.sleep(0.2)  # Zalo's ladder, compressed

        for i in range(100):
            deliver(i, retry=True)
        before = Queue(EVENTS_QUEUE, connection=connect(redis.url)).count
        redis.stop()
        for i in range(100, 150):  # Redis is away: every one of these is refused with 503
            deliver(i, retry=False)
        assert set(statuses[100:]) == {503}
        redis.start()
        survived = Queue(EVENTS_QUEUE, connection=connect(redis.url)).count
        for i in range(100, 200):  # Zalo redelivers what failed, then the burst goes on
            deliver(i, retry=True)
        for i in range(0, 200, 7):  # and delivers some twice
            deliver(i, retry=True)
        drain(redis.url)
        events, reports = stored(settings)
        quoted = replies_by_quote(sent(zalo))
        print(f"fault redis restart: webhook 503s={statuses.count(503)} queued_before={before} survived={survived} "
              f"stored={events}/{reports} replies={sum(quoted.values())}")
        assert before == survived == 100
        assert (events, reports) == (200, 200)
        assert set(quoted) == set(accepted) and all(c == 1 for c in quoted.values())
    finally:
        server.shutdown()
        server.server_close()
        zalo.config.webhook_url = None
        redis.stop()


class _Outage:
    """Make the database unavailable to everyone else for ``seconds``."""

    def __init__(self, url: str):
        self.url = url
        self.kind = make_url(url).get_backend_name()
        self.seconds = 35.0 if self.kind == "sqlite" else 12.0

    def run(self, started: threading.Event):
        if self.kind == "sqlite":
            conn = sqlite3.connect(make_url(self.url).database, timeout=1, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            started.set()
            time.sleep(self.seconds)
            conn.execute("ROLLBACK")
            conn.close()
            return
        name = make_url(self.url).database
        admin = create_engine(make_url(self.url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            started.set()
            time.sleep(self.seconds)
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


@pytest.fixture
def own_db(settings, monkeypatch):
    """PostgreSQL: a database of our own (the outage must not hit anyone else's); SQLite: the test's."""
    url = settings.database_url
    if make_url(url).get_backend_name() != "postgresql":
        yield settings
        return
    name = f"fault_outage_{os.getpid()}"
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    own = make_url(url).set(database=name).render_as_string(hide_password=False)
    upgrade(own)
    monkeypatch.setenv("DATABASE_URL", own)
    yield settings.with_overrides(database_url=own)
    dispose_all()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_database_outage_jobs_are_retried_nothing_lost(own_db, zalo, redis_url, tmp_path):
    from app import create_app
    from bot.devtools.orgs import import_org, load_org_file

    settings = own_db
    with session_scope(settings.database_url) as s:
        import_org(s, load_org_file(str(EXAMPLE_ORG)), clock.now())
    server = _serve(create_app(settings))
    zalo.config.webhook_url = f"http://127.0.0.1:{server.server_port}/webhook/zalo"
    workers = Workers(tmp_path / "logs")
    outage = _Outage(settings.database_url)
    msg_ids = []
    try:
        workers.start()

        def say(i):
            r = requests.post(f"{zalo.url}/__fake/deliver", json={
                "user_id": HEADS[i % len(HEADS)], "text": f"qua {i // len(HEADS) + 1}, mau 3"}, timeout=10).json()
            assert r["status"] == 200  # the webhook never needs the database
            msg_ids.append(r["msg_id"])

        for i in range(20):
            say(i)
        wait_until(lambda: stored(settings)[1] >= 5, 60, 0.1, "the first reports")
        started = threading.Event()
        cut = threading.Thread(target=outage.run, args=(started,))
        cut.start()
        started.wait(10)
        for i in range(20, 40):  # arrive during the outage
            say(i)
        cut.join()
        wait_until(lambda: len(replies_by_quote(sent(zalo))) == 40 and stored(settings)[1] == 40, 180, 1.0,
                   "every report stored and confirmed after the outage")
        conn = connect(redis_url)
        retried = sum(1 for m in msg_ids if (job := Job.fetch(job_id_for("oa", m), connection=conn)) and job.retries_left < 8)
        events, reports = stored(settings)
        quoted = replies_by_quote(sent(zalo))
        print(f"fault database {outage.kind} {outage.seconds:.0f}s: stored={events}/{reports} "
              f"replies={sum(quoted.values())} jobs_retried={retried}")
        assert (events, reports) == (40, 40)
        assert set(quoted) == set(msg_ids) and all(c == 1 for c in quoted.values())
        assert retried >= 1  # the outage really failed jobs, and RQ retried them
    finally:
        workers.stop()
        server.shutdown()
        server.server_close()
        zalo.config.webhook_url = None
