"""Token expiry under concurrent workers, token persistence across restarts, and the Zalo Bot channel."""

from __future__ import annotations

import subprocess
import sys

import requests
from sqlalchemy import func, select

from bot.storage.db import session_scope
from bot.storage.models import Report, ZaloToken
from tests.conftest import ROOT

HEADS = [f"70020000000000000{n:02d}" for n in (1, 2, 3, 5, 6, 7, 8, 9)]


def stats(zalo) -> dict:
    return requests.get(f"{zalo.url}/__fake/stats", timeout=5).json()


def stored_tokens(settings) -> ZaloToken:
    with session_scope(settings.database_url) as s:
        return s.get(ZaloToken, "oa")


def run_workers(n: int) -> None:
    """n real `python worker.py --burst` processes draining the queues at the same time."""
    procs = [subprocess.Popen([sys.executable, "worker.py", "--burst"], cwd=ROOT) for _ in range(n)]
    for proc in procs:
        assert proc.wait(120) == 0


def test_expired_access_token_with_four_workers_refreshes_once(settings, org, chat, zalo, redis_url, later):
    chat.ask(HEADS[0], "mau 1")  # first use: one refresh from ZALO_REFRESH_TOKEN
    assert stats(zalo)["refresh_calls"] == 1
    first = stored_tokens(settings)

    later(26 * 3600)
    for head in HEADS:
        assert chat.say(head, "qua 2")["status"] == 200
    run_workers(4)

    assert stats(zalo)["refresh_calls"] == 2  # exactly one more, whatever the number of workers
    assert len(chat.sent()) == 1 + len(HEADS)
    rotated = stored_tokens(settings)
    assert rotated.refresh_token != first.refresh_token and rotated.access_token != first.access_token

    # A restart of every process: a brand-new interpreter sends with what the database holds.
    code = (
        "from bot.config import Settings; from bot.outbound.sender import Sender; from bot.storage.redis_server import connect\n"
        f"s = Settings.from_env(); print(Sender(s, connect(s.redis_url)).send('oa', '{HEADS[0]}', 'Kiểm tra sau khởi động lại'))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert stats(zalo)["refresh_calls"] == 2  # no refresh needed: the rotated pair survived
    assert chat.sent(HEADS[0])[-1]["text"] == "Kiểm tra sau khởi động lại"


def test_zalo_bot_channel_message_is_answered_through_send_message(settings, org, chat, zalo):
    resp = requests.post(
        f"{zalo.url}/__fake/deliver_bot", json={"chat_id": "b0a1c2d3e4f5a6b7c8d9", "text": "qua 5"}, timeout=10
    )
    assert resp.json()["status"] == 200
    chat.work()
    sent = [m for m in chat.sent() if m["channel"] == "bot"]
    assert len(sent) == 1
    assert sent[0]["chat_id"] == "b0a1c2d3e4f5a6b7c8d9"
    assert "chưa gắn với chi hội" in sent[0]["text"]
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 0


def test_zalo_bot_webhook_refuses_a_wrong_secret(client):
    resp = client.post("/webhook/zalo-bot", json={"event_name": "message.text.received"},
                       headers={"X-Bot-Api-Secret-Token": "not-the-secret"})  # fmt: skip
    assert resp.status_code == 401


def test_zalo_bot_wrapped_update_is_accepted(settings, org, chat, zalo):
    resp = requests.post(
        f"{zalo.url}/__fake/deliver_bot",
        json={"chat_id": "b0a1c2d3e4f5a6b7c8d8", "text": "giúp", "wrapped": True},
        timeout=10,
    )
    assert resp.json()["status"] == 200
    chat.work()
    assert [m["chat_id"] for m in chat.sent() if m["channel"] == "bot"] == ["b0a1c2d3e4f5a6b7c8d8"]
