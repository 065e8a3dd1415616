"""Fixtures over real services: Redis (embedded binary, or TEST_REDIS_URL), a real database
(SQLite file, or TEST_DATABASE_URL for PostgreSQL), the Zalo simulator over loopback HTTP, and
our Flask app served on a real port so the simulator's webhook driver can reach it.
"""

from __future__ import annotations

import os
import threading
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from rq import Queue, SimpleWorker
from sqlalchemy import text
from werkzeug.serving import make_server

import handlers
from bot import clock
from bot.config import Settings
from bot.runtime import QUEUES
from bot.storage.db import dispose_all, get_engine, session_scope, upgrade
from bot.storage.models import Base
from bot.storage.redis_server import EmbeddedRedis, connect
from bot.zalo.sim import SimulatorConfig, SimulatorServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ORG = ROOT / "examples" / "org-dienphuoc.yaml"
# The example organization's targets are for 2026; tests that read them live on this day.
EXAMPLE_NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # 10:00 in Asia/Ho_Chi_Minh, a Saturday
VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), appendonly=False)
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def db_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        engine = get_engine(url)
        with engine.begin() as conn:  # a clean schema for this run
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(url)
    yield url
    dispose_all()


@pytest.fixture
def rconn(redis_url):
    conn = connect(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def clean_db(db_url):
    engine = get_engine(db_url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    return db_url


@pytest.fixture(scope="session")
def simulator():
    with SimulatorServer(SimulatorConfig()) as sim:
        yield sim


@pytest.fixture
def zalo(simulator):
    """The simulator, reset: no messages, fresh tokens, real clock offset zero."""
    requests.post(f"{simulator.url}/__fake/reset", timeout=5).raise_for_status()
    return simulator


@pytest.fixture
def clock_at(zalo):
    """``clock_at(instant)`` puts our clock and the simulator's at ``instant``; both then run on.

    For code in this process (the app served on a thread, jobs drained here): a test that asserts
    fixed dates fixes the day instead of reading the calendar, and Zalo's event timestamps agree
    with our clock. Processes the test starts (``python worker.py``) keep the system clock."""
    with ExitStack() as stack:

        def set_to(instant: datetime) -> None:
            shift = instant - clock.system_now()
            offset = requests.get(f"{zalo.url}/__fake/clock", timeout=5).json()["offset_seconds"]
            requests.post(f"{zalo.url}/__fake/advance_clock",
                          json={"seconds": shift.total_seconds() - offset}, timeout=5).raise_for_status()
            stack.enter_context(clock.fixed(lambda: clock.system_now() + shift))

        yield set_to


@pytest.fixture
def later(clock_at):
    """``later(seconds)``: time passes for Zalo and for us alike (its tokens expire; the events it
    then delivers are still fresh to our webhook, which judges their age on our clock)."""
    return lambda seconds: clock_at(clock.now() + timedelta(seconds=seconds))


@pytest.fixture
def example_day(clock_at) -> date:
    """The world at EXAMPLE_NOW (running on), whatever day the suite runs; the local date."""
    clock_at(EXAMPLE_NOW)
    return EXAMPLE_NOW.astimezone(VN).date()


@pytest.fixture
def settings(redis_url, clean_db, zalo, rconn, tmp_path, monkeypatch) -> Settings:
    """Settings for a test, also put in the environment so RQ jobs build the same ones."""
    cfg = zalo.config
    env = {
        "REDIS_URL": redis_url,
        "DATABASE_URL": clean_db,
        "VAR_DIR": str(tmp_path / "var"),
        "ZALO_APP_ID": cfg.app_id,
        "ZALO_APP_SECRET": cfg.app_secret,
        "ZALO_OA_SECRET_KEY": cfg.oa_secret_key,
        "ZALO_REFRESH_TOKEN": cfg.initial_refresh_token,
        "ZALO_OPENAPI_URL": zalo.url,
        "ZALO_OAUTH_URL": zalo.url,
        "ZALO_BOT_TOKEN": cfg.bot_token,
        "ZALO_BOT_SECRET": "bot-secret-token",
        "ZALO_BOT_API_URL": zalo.url,
        "SECRET_KEY": "test-secret",
        "PUBLIC_URL": "http://127.0.0.1:8000",
        "ZALO_TIMEOUT": "3",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.from_env(env)


@pytest.fixture
def app(settings):
    from app import create_app

    flask_app = create_app(settings)
    flask_app.config["TESTING"] = True
    return flask_app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_app(app, zalo):
    """Our app on a real loopback port; the simulator delivers webhooks to it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    zalo.config.webhook_url = f"{url}/webhook/zalo"
    zalo.config.bot_webhook_url = f"{url}/webhook/zalo-bot"
    zalo.config.bot_secret_token = "bot-secret-token"
    yield url
    server.shutdown()
    server.server_close()
    zalo.config.webhook_url = None


@pytest.fixture
def org(settings):
    """The example organization (12 chapters, a committee, targets), imported."""
    from bot.devtools.orgs import import_org, load_org_file

    with session_scope(settings.database_url) as session:
        import_org(session, load_org_file(str(EXAMPLE_ORG)), clock.now())
    return "ctd-dienphuoc"


def drain(redis_url: str) -> int:
    """Run every queued job in this process with RQ's SimpleWorker; the number of jobs run."""
    handlers.load_all()  # as worker.py does at start-up
    conn = connect(redis_url)
    worker = SimpleWorker([Queue(q, connection=conn) for q in QUEUES], connection=conn)
    worker.work(burst=True, with_scheduler=False)
    count = worker.successful_job_count + worker.failed_job_count
    conn.close()
    return count


@pytest.fixture
def work(redis_url):
    return lambda: drain(redis_url)


class Chat:
    """Talk to the bot as a person, through the simulator, and read what the bot answered."""

    def __init__(self, zalo, work):
        self.zalo, self.work = zalo, work

    def say(self, user_id: str, text: str, **extra) -> dict:
        resp = requests.post(
            f"{self.zalo.url}/__fake/deliver", json={"user_id": user_id, "text": text, **extra}, timeout=10
        )
        resp.raise_for_status()
        return resp.json()

    def sent(self, user_id: str | None = None) -> list[dict]:
        params = {"user_id": user_id} if user_id else {}
        return requests.get(f"{self.zalo.url}/__fake/sent", params=params, timeout=5).json()["messages"]

    def ask(self, user_id: str, text: str) -> str:
        """Send ``text`` and return the bot's answer (all parts, joined)."""
        before = len(self.sent(user_id))
        result = self.say(user_id, text)
        assert result["status"] == 200, result
        self.work()
        answers = self.sent(user_id)[before:]
        return "\n".join(m["text"] for m in answers)


@pytest.fixture
def chat(live_app, zalo, work):
    return Chat(zalo, work)
