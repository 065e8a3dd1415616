"""BotClient against the simulator's Bot API over real HTTP."""

from __future__ import annotations

import logging

import pytest

from bot.zalo.botapi import BotClient, BotUnauthorized
from bot.zalo.errors import Permanent, Transient


@pytest.fixture
def bot(sim):
    client = BotClient(sim.settings())
    yield client
    client.close()


def test_send_message_returns_message_id_and_is_recorded(sim, bot):
    message_id = bot.send_message("e4ea2cd5189df1c3a88c", "Xin chào 👋")
    [sent] = sim.sent(channel="bot")
    assert sent["message_id"] == message_id
    assert sent["chat_id"] == "e4ea2cd5189df1c3a88c" and sent["text"] == "Xin chào 👋"


def test_text_limits_checked_before_sending(sim, bot):
    with pytest.raises(ValueError, match="^Bot message text must be 1-2000 characters$"):
        bot.send_message("c1", "")
    with pytest.raises(ValueError, match="^Bot message text must be 1-2000 characters$"):
        bot.send_message("c1", "x" * 2001)
    assert sim.sent() == []


def test_get_me_and_webhook_calls(sim, bot):
    me = bot.get_me()
    assert set(me) == {"id", "account_name", "account_type", "can_join_groups"}
    assert bot.set_webhook("https://bot.example.vn/webhook/zalo-bot", "s" * 16)["url"] == \
        "https://bot.example.vn/webhook/zalo-bot"
    assert bot.get_webhook_info()["url"] == "https://bot.example.vn/webhook/zalo-bot"
    with pytest.raises(Permanent):
        bot.set_webhook("http://insecure.example/", "s" * 16)
    with pytest.raises(ValueError, match="^secret_token must be 8-256 characters$"):
        bot.set_webhook("https://bot.example.vn/", "short")
    bot.delete_webhook()
    assert bot.get_updates(timeout=0) is None
    sim.post("/__fake/deliver_bot", {"chat_id": "c1", "text": "hi"})
    assert bot.get_updates(timeout=1)["message"]["chat"]["id"] == "c1"


@pytest.mark.parametrize("status", [401, 200])
def test_wrong_token_is_unauthorized_whatever_the_http_status(sim, status, caplog):
    sim.post("/__fake/config", {"bot_unauthorized_status": status})
    client = BotClient(sim.settings(zalo_bot_token="123:wrong-secret"))
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(BotUnauthorized) as info:
            client.send_message("c1", "x")
    finally:
        client.close()
    assert info.value.code == 401
    # the refusal is logged (so the check below reads real records), without the token
    assert [r.getMessage() for r in caplog.records if r.name == "bot.zalo.botapi"] == ["Zalo Bot API error"]
    assert all("wrong-secret" not in r.getMessage() + repr(r.__dict__) for r in caplog.records)


def test_server_errors_are_transient_and_hide_the_token(sim, bot):
    sim.fail_next("/bot", "http500")
    with pytest.raises(Transient):
        bot.send_message("c1", "x")
    unreachable = BotClient(sim.settings(zalo_bot_api_url="http://127.0.0.1:9"))
    try:
        with pytest.raises(Transient) as info:
            unreachable.send_message("c1", "x")
    finally:
        unreachable.close()
    assert sim.config.bot_token not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_ok_false_with_http_200_is_an_error(sim, bot):
    sim.fail_next("/bot", "error", error=400, message="Bad Request: chat not found")
    with pytest.raises(Permanent) as info:
        bot.send_message("c1", "x")
    assert info.value.code == 400
