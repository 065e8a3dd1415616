"""Redis going away under the webhook: 503 while it is down, nothing lost once it is back."""

from __future__ import annotations

import threading

import pytest
from rq import Queue
from sqlalchemy import func, select
from werkzeug.serving import make_server

from bot.runtime import EVENTS_QUEUE
from bot.storage.db import session_scope
from bot.storage.models import Report
from bot.storage.redis_server import EmbeddedRedis, connect
from tests.conftest import Chat, drain

HEAD = "7002000000000000001"


@pytest.fixture
def own_redis(tmp_path, monkeypatch):
    server = EmbeddedRedis(tmp_path / "redis", appendonly=True)
    server.start()
    monkeypatch.setenv("REDIS_URL", server.url)
    yield server
    server.stop()


@pytest.fixture
def outage_app(settings, own_redis, zalo):
    from app import create_app

    app = create_app(settings.with_overrides(redis_url=own_redis.url))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    zalo.config.webhook_url = f"http://127.0.0.1:{server.server_port}/webhook/zalo"
    yield app
    server.shutdown()
    server.server_close()
    zalo.config.webhook_url = None


def reports(settings) -> int:
    with session_scope(settings.database_url) as s:
        return s.scalar(select(func.count()).select_from(Report))


def test_redis_outage_answers_503_then_redeliveries_are_stored_once(settings, org, outage_app, own_redis, zalo):
    chat = Chat(zalo, lambda: drain(own_redis.url))
    # Two reports queued before the outage must survive the restart (AOF).
    before = [chat.say(HEAD, f"mau {n}", msg_id=f"00000000000000000b0{n}") for n in (1, 2)]
    assert [r["status"] for r in before] == [200, 200]
    own_redis.stop()

    during = [chat.say(HEAD, f"qua {n}", msg_id=f"00000000000000000c0{n}") for n in (1, 2, 3)]
    assert [r["status"] for r in during] == [503, 503, 503]

    own_redis.start()
    assert Queue(EVENTS_QUEUE, connection=connect(own_redis.url)).count == 2
    # Zalo redelivers what failed, some of it twice.
    for n in (1, 2, 3):
        assert chat.say(HEAD, f"qua {n}", msg_id=f"00000000000000000c0{n}")["status"] == 200
    assert chat.say(HEAD, "qua 1", msg_id="00000000000000000c01")["status"] == 200
    drain(own_redis.url)
    assert reports(settings) == 5
    assert len(chat.sent(HEAD)) == 5
