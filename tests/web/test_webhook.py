"""POST /webhook/zalo: signature, size, shape, dedup, and 503 when Redis cannot take it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue
from sqlalchemy import func, select

from bot import clock
from bot.runtime import EVENTS_QUEUE
from bot.storage.db import session_scope
from bot.storage.models import InboundEvent
from bot.web.signature import DEFAULT_MAX_AGE, Check, check_signature, compute_signature

SENT = datetime.fromtimestamp(1795000000, tz=UTC)  # the events' own timestamp below


@pytest.fixture(autouse=True)
def _at_the_events_time():
    """The webhook judges an event's age on our clock: here, a minute after the events were sent."""
    with clock.fixed(SENT + timedelta(minutes=1)):
        yield


def make_event(msg_id="m1", text="qua 5", user="7002000000000000001", app_id="sim-app", **extra) -> dict:
    event = {
        "app_id": app_id,
        "user_id_by_app": "552177279717587730",
        "event_name": "user_send_text",
        "timestamp": "1795000000000",
        "sender": {"id": user},
        "recipient": {"id": "sim-oa"},
        "message": {"msg_id": msg_id, "text": text},
    }
    event.update(extra)
    return event


def signed(settings, body: bytes, *, prefix="mac=", secret=None, timestamp="1795000000000") -> dict:
    mac = compute_signature(settings.zalo_app_id, body, timestamp, secret or settings.zalo_oa_secret_key)
    return {"X-ZEvent-Signature": prefix + mac, "Content-Type": "application/json"}


def post(client, settings, event: dict, **kw):
    body = json.dumps(event, ensure_ascii=False).encode()
    return client.post("/webhook/zalo", data=body, headers=signed(settings, body, **kw))


def queued(rconn) -> int:
    return Queue(EVENTS_QUEUE, connection=rconn).count


def stored(settings) -> int:
    with session_scope(settings.database_url) as s:
        return s.scalar(select(func.count()).select_from(InboundEvent))


def test_signed_text_event_is_queued_once(client, settings, rconn):
    assert post(client, settings, make_event()).status_code == 200
    assert queued(rconn) == 1


@pytest.mark.parametrize("prefix", ["mac=", "", "MAC="])
def test_signature_accepted_with_or_without_mac_prefix(client, settings, rconn, prefix):
    assert post(client, settings, make_event(), prefix=prefix).status_code == 200


def test_duplicate_delivery_is_acknowledged_without_a_second_job(client, settings, rconn):
    for _ in range(3):
        assert post(client, settings, make_event()).status_code == 200
    assert queued(rconn) == 1
    assert client.post("/webhook/zalo").status_code == 401


def test_forged_signature_is_refused_and_nothing_queued(client, settings, rconn):
    resp = post(client, settings, make_event(), secret="wrong-secret")
    assert resp.status_code == 401
    assert queued(rconn) == 0 and stored(settings) == 0


def test_missing_signature_is_refused(client, settings, rconn):
    resp = client.post("/webhook/zalo", data=json.dumps(make_event()), headers={"Content-Type": "application/json"})
    assert resp.status_code == 401
    assert queued(rconn) == 0


def test_tampered_body_is_refused(client, settings, rconn):
    body = json.dumps(make_event()).encode()
    headers = signed(settings, body)
    resp = client.post("/webhook/zalo", data=body.replace(b"qua 5", b"qua 9"), headers=headers)
    assert resp.status_code == 401


def test_signature_with_the_app_secret_instead_of_the_oa_secret_is_refused(client, settings, rconn):
    assert post(client, settings, make_event(), secret=settings.zalo_app_secret).status_code == 401


def test_other_app_id_is_refused(client, settings, rconn):
    event = make_event(app_id="someone-else")
    assert post(client, settings, event).status_code == 401
    assert queued(rconn) == 0


def test_body_over_64_kib_is_refused_with_413(client, settings, rconn):
    event = make_event(text="x" * (70 * 1024))
    assert post(client, settings, event).status_code == 413
    assert queued(rconn) == 0


@pytest.mark.parametrize(
    "body, status",
    [
        (b"not json", 401),  # no timestamp to check the signature against: unverifiable
        (b"[1,2,3]", 401),
        (b'{"timestamp": "1795000000000"}', 400),  # signed and dated, but no Zalo event
        (b"\xff\xfe\x00garbage", 401),
        (b'"just a string"', 401),
    ],
)
def test_signed_body_that_is_not_a_zalo_event_gets_400(client, settings, rconn, body, status):
    ts = "1795000000000"
    mac = compute_signature(settings.zalo_app_id, body, ts, settings.zalo_oa_secret_key)
    resp = client.post("/webhook/zalo", data=body, headers={"X-ZEvent-Signature": mac})
    assert resp.status_code == status
    assert queued(rconn) == 0


def test_text_event_without_sender_is_400(client, settings, rconn):
    event = make_event()
    del event["sender"]
    assert post(client, settings, event).status_code == 400


def test_unknown_event_kind_is_acknowledged_and_ignored(client, settings, rconn):
    event = make_event(event_name="user_reacted_message")
    assert post(client, settings, event).status_code == 200
    assert queued(rconn) == 0


def test_redis_down_answers_503_and_queues_nothing(app, settings, rconn):
    from bot.storage.redis_server import connect

    app.extensions["redis"] = connect("redis://127.0.0.1:1/0")  # nothing listens there
    resp = post(app.test_client(), settings, make_event())
    assert resp.status_code == 503
    assert queued(rconn) == 0


def test_healthz_reports_redis_and_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    # no token row yet: "ok" (never a token itself)
    assert body == {"ok": True, "redis": True, "database": True, "zalo_tokens": "ok"}


def test_healthz_is_503_when_redis_is_down(app):
    from bot.storage.redis_server import connect

    app.extensions["redis"] = connect("redis://127.0.0.1:1/0")
    assert app.test_client().get("/healthz").status_code == 503


@pytest.mark.parametrize("sent_ago, accepted", [
    (DEFAULT_MAX_AGE, True), (DEFAULT_MAX_AGE + timedelta(seconds=1), False),  # older: a replay
    (-DEFAULT_MAX_AGE, True), (-DEFAULT_MAX_AGE - timedelta(seconds=1), False),  # from the future
])
def test_signature_window_on_an_injected_clock(sent_ago, accepted):
    now = datetime(2026, 11, 21, 13, 0, tzinfo=UTC)
    ts = str(int((now - sent_ago).timestamp() * 1000))
    body = json.dumps({"timestamp": ts, "event_name": "user_send_text"}).encode()
    mac = "mac=" + compute_signature("app", body, ts, "key")
    want = Check.OK if accepted else Check.STALE
    assert check_signature(body, mac, "app", "key", clock=lambda: now) is want
    # the window is the caller's: an hour-wide one refuses what a day-wide one took
    assert check_signature(body, mac, "app", "key", clock=lambda: now, max_age=timedelta(hours=1)) is (
        Check.OK if abs(sent_ago) <= timedelta(hours=1) else Check.STALE)
    # a wrong key is a bad signature whatever the date
    assert check_signature(body, mac, "app", "other", clock=lambda: now) is Check.BAD


def test_a_replayed_event_older_than_the_window_stores_nothing(client, settings, rconn):
    with clock.fixed(SENT + settings.webhook_max_age + timedelta(minutes=1)):
        resp = post(client, settings, make_event(msg_id="old-1"))
    assert resp.status_code == 401 and resp.get_json()["reason"] == "stale timestamp"
    assert queued(rconn) == 0 and stored(settings) == 0
    # the same event on the day it was sent is taken
    assert post(client, settings, make_event(msg_id="old-1")).status_code == 200
    assert queued(rconn) == 1
