"""Token rotation on real parts: the simulator over HTTP, a real Redis lock, a migrated SQLite."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib

from bot.storage.db import session_scope
from bot.storage.models import ZaloToken
from bot.zalo.client import OAClient
from bot.zalo.errors import RefreshRejected, TokensBroken, Transient
from bot.zalo.oauth import TokenManager


def stored(db_url) -> ZaloToken:
    with session_scope(db_url) as db:
        row = db.get(ZaloToken, "oa")
        db.expunge(row)
        return row


@pytest.fixture
def make_tokens(sim, redis_client, db_url):
    made = []

    def make(**overrides):
        clock = overrides.pop("clock", None)
        tm = TokenManager(sim.settings(**overrides), redis_client, db_url, clock=clock)
        made.append(tm)
        return tm

    yield make
    for tm in made:
        tm.close()


def test_bootstrap_persists_the_rotated_pair(sim, make_tokens, db_url):
    tokens = make_tokens()
    access = tokens.access_token()
    row = stored(db_url)
    live = sim.get("/__fake/tokens")
    assert row.access_token == access == live["access_token"]
    assert row.refresh_token == live["refresh_token"] != sim.config.initial_refresh_token
    assert row.access_expires_at - row.refreshed_at == timedelta(seconds=90000)
    assert tokens.access_token() == access  # no second refresh while fresh
    assert sim.stats()["refresh_calls"] == 1


def test_four_threads_on_an_expired_token_refresh_once(sim, make_tokens, redis_url, db_url):
    sim.add_user("u1")
    make_tokens().access_token()
    sim.advance(26 * 3600)  # Zalo now answers -220 to the stored token
    sim.add_user("u1")
    before = sim.stats()["refresh_calls"]
    results, errors = [], []
    barrier = threading.Barrier(4)

    def worker(i):
        client = redis_lib.Redis.from_url(redis_url)
        tm = TokenManager(sim.settings(), client, db_url)
        oa = OAClient(sim.settings(), tm)
        try:
            barrier.wait()
            results.append(oa.send_text("u1", f"Báo cáo {i}"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            oa.close()
            tm.close()
            client.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(results) == 4
    stats = sim.stats()
    assert stats["refresh_calls"] - before == 1
    assert stats["refresh_concurrency_max"] == 1
    assert stats["requests"]["/v3.0/oa/message/cs"] == 8  # 4 refused, 4 retried once
    assert len(sim.sent(user_id="u1")) == 4
    assert stored(db_url).refresh_token == sim.get("/__fake/tokens")["refresh_token"]


def _process_send(sim_url_settings, redis_url, db_url, text, queue):
    """Runs in a forked child: its own Redis connection, engine and HTTP session."""
    client = redis_lib.Redis.from_url(redis_url)
    tm = TokenManager(sim_url_settings, client, db_url)
    oa = OAClient(sim_url_settings, tm)
    try:
        queue.put(("ok", oa.send_text("u1", text)))
    except Exception as exc:
        queue.put(("error", repr(exc)))
    finally:
        oa.close()
        tm.close()
        client.close()


def test_four_processes_on_an_expired_token_refresh_once(sim, make_tokens, redis_url, db_url):
    sim.add_user("u1")
    make_tokens().access_token()
    sim.advance(26 * 3600)
    sim.add_user("u1")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_process_send,
                         args=(sim.settings(), redis_url, db_url, f"P{i}", queue))
             for i in range(4)]
    for p in procs:
        p.start()
    outcomes = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    queue.close()
    queue.join_thread()
    assert [kind for kind, _ in outcomes] == ["ok"] * 4, outcomes
    assert sim.stats()["refresh_calls"] == 2  # bootstrap + exactly one for the four
    assert sim.stats()["refresh_concurrency_max"] == 1


def test_restart_uses_the_stored_pair_without_refreshing(sim, make_tokens, db_url):
    sim.add_user("u1")
    first = make_tokens()
    first.access_token()
    sim.advance(26 * 3600)
    sim.add_user("u1")
    OAClient(sim.settings(), first).send_text("u1", "trước khi khởi động lại")
    calls = sim.stats()["refresh_calls"]
    assert calls == 2
    restarted = make_tokens()  # a new process: same env (the ORIGINAL refresh token), same DB
    oa = OAClient(sim.settings(), restarted)
    try:
        oa.send_text("u1", "sau khi khởi động lại")
    finally:
        oa.close()
    assert sim.stats()["refresh_calls"] == calls


def test_rejected_refresh_breaks_and_stops_calling(sim, make_tokens, db_url, caplog):
    sim.add_user("u1")
    tokens = make_tokens()
    tokens.access_token()
    sim.advance(26 * 3600)
    sim.add_user("u1")
    sim.fail_next("/v4/oa/access_token", "error", error=-14014, message="Invalid refresh token")
    oa = OAClient(sim.settings(), tokens)
    try:
        with caplog.at_level(logging.INFO):
            with pytest.raises(RefreshRejected) as info:
                oa.send_text("u1", "x")
        assert info.value.code == -14014
        assert stored(db_url).broken_reason == "refresh rejected: -14014 Invalid refresh token"
        calls = sim.stats()["refresh_calls"]
        for _ in range(3):
            with pytest.raises(TokensBroken):
                oa.send_text("u1", "x")
        with pytest.raises(TokensBroken):
            make_tokens().access_token()  # another process too
        assert sim.stats()["refresh_calls"] == calls
        assert sim.stats()["requests"]["/v3.0/oa/message/cs"] == 1
    finally:
        oa.close()
    secrets = [stored(db_url).refresh_token, sim.config.app_secret,
               *sim.get("/__fake/tokens")["access_tokens"]]
    alarms = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "bot.zalo.oauth" and r.levelno >= logging.ERROR]
    assert alarms == [(logging.ERROR, "Zalo refused the refresh token; sends stop until an admin redoes the OAuth consent")]
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        assert not any(s and s in text for s in secrets)


def test_new_configured_refresh_token_recovers_from_broken(sim, make_tokens, db_url):
    tokens = make_tokens()
    tokens.access_token()
    sim.fail_next("/v4/oa/access_token", "error", error=-118, message="invalid_grant")
    with pytest.raises(RefreshRejected):
        tokens.refresh(stored(db_url).access_token)
    with pytest.raises(TokensBroken):
        make_tokens().access_token()  # same configured token as before: still broken
    # an admin redoes the consent and configures the new refresh token
    code = sim.post("/__fake/auth_code")["code"]
    pair = sim.http.post(sim.url + "/v4/oa/access_token", timeout=10,
                         data={"app_id": "sim-app", "grant_type": "authorization_code",
                               "code": code}, headers={"secret_key": "sim-app-secret"}).json()
    fixed = make_tokens(zalo_refresh_token=pair["refresh_token"])
    access = fixed.access_token()
    assert access == sim.get("/__fake/tokens")["access_token"]
    assert stored(db_url).broken_reason is None
    assert fixed.access_token() == access


def test_explicit_reset_recovers(sim, make_tokens, db_url):
    tokens = make_tokens()
    tokens.access_token()
    sim.fail_next("/v4/oa/access_token", "error", error=-14014)
    with pytest.raises(RefreshRejected):
        tokens.refresh(stored(db_url).access_token)
    code = sim.post("/__fake/auth_code")["code"]
    pair = sim.http.post(sim.url + "/v4/oa/access_token", timeout=10,
                         data={"app_id": "sim-app", "grant_type": "authorization_code",
                               "code": code}, headers={"secret_key": "sim-app-secret"}).json()
    tokens.reset(pair["refresh_token"])
    assert tokens.access_token() == sim.get("/__fake/tokens")["access_token"]


def test_proactive_refresh_after_twenty_hours(sim, make_tokens):
    now = [datetime(2026, 11, 21, 8, 0, tzinfo=UTC)]
    tokens = make_tokens(clock=lambda: now[0])
    first = tokens.access_token()
    now[0] += timedelta(hours=19)
    assert tokens.access_token() == first
    now[0] += timedelta(hours=2)
    second = tokens.access_token()
    assert second != first and second == sim.get("/__fake/tokens")["access_token"]
    assert sim.stats()["refresh_calls"] == 2


def test_proactive_refresh_failure_keeps_a_valid_token(sim, make_tokens):
    now = [datetime(2026, 11, 21, 8, 0, tzinfo=UTC)]
    tokens = make_tokens(clock=lambda: now[0])
    first = tokens.access_token()
    now[0] += timedelta(hours=21)
    sim.fail_next("/v4/oa/access_token", "http500")
    assert tokens.access_token() == first  # still valid for 4 h: use it, retry later
    retried = tokens.access_token()
    assert retried != first and retried == sim.get("/__fake/tokens")["access_token"]


def test_token_endpoint_outage_is_transient_not_broken(sim, make_tokens, db_url):
    sim.fail_next("/v4/oa/access_token", "http500")
    tokens = make_tokens()
    with pytest.raises(Transient):
        tokens.access_token()
    # next try works: nothing was marked broken
    assert tokens.access_token() == sim.get("/__fake/tokens")["access_token"]


def test_no_refresh_token_configured(sim, make_tokens):
    with pytest.raises(TokensBroken):
        make_tokens(zalo_refresh_token=None).access_token()
    assert sim.stats()["refresh_calls"] == 0


def test_lock_is_released_and_waiters_see_the_new_token(sim, make_tokens, redis_client, db_url):
    tokens = make_tokens()
    stale = tokens.access_token()
    redis_client.set("zalo:refresh:oa", "someone-else", ex=1)  # another process holds it
    fresh = tokens.refresh(stale)  # waits for the lock to expire, then refreshes
    assert fresh != stale and fresh == sim.get("/__fake/tokens")["access_token"]
    assert redis_client.get("zalo:refresh:oa") is None
    assert tokens.refresh(stale) == fresh  # stale again: somebody (we) refreshed already
    assert sim.stats()["refresh_calls"] == 2
