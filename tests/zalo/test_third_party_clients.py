"""Third-party Zalo clients against the simulator, over real HTTP, nothing mocked.

``zalo-sdk`` (OA Open API, ``requests``: JSON and multipart bodies, the ``access_token`` header)
and ``python-zalo-bot`` (Bot API, ``httpx``: urlencoded bodies, parses ``Message`` results) are
pinned in requirements-test.txt. Every call is checked twice: what the library returned and
what the simulator recorded (``/__fake/sent``, ``/__fake/stats``). The last test does the same
against ``flask --app app zalo-simulator`` started as a subprocess.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
import zalo_sdk
from zalo_bot import Bot, Message
from zalo_bot.error import InvalidToken
from zalo_sdk.oa import (
    Client,
    ZaloAttachment,
    ZaloMessageBody,
    ZaloRecipient,
)

from bot.zalo.sim import SimulatorConfig

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
USER = "2468458835291979220"


# -- helpers -------------------------------------------------------------------------------
def _access_token(url: str, config: SimulatorConfig) -> str:
    """A live OA access token from a refresh (zalo-sdk hard-codes Zalo's OAuth host, so the
    test asks the simulator's endpoint itself, with the latest single-use refresh token)."""
    refresh = requests.get(f"{url}/__fake/tokens", timeout=10).json()["refresh_token"]
    response = requests.post(f"{url}/v4/oa/access_token", timeout=10,
                             headers={"secret_key": config.app_secret},
                             data={"app_id": config.app_id, "grant_type": "refresh_token",
                                   "refresh_token": refresh})
    return response.json()["access_token"]


def _add_user(url: str, user_id: str, **extra) -> None:
    requests.post(f"{url}/__fake/users", timeout=10, json={
        "user_id": user_id, "last_interaction": "now", **extra}).raise_for_status()


def _sent(url: str, **params) -> list[dict]:
    return requests.get(f"{url}/__fake/sent", params=params, timeout=10).json()["messages"]


def _requests(url: str) -> dict:
    return requests.get(f"{url}/__fake/stats", timeout=10).json()["requests"]


def _oa(url: str, config: SimulatorConfig, token: str | None = None) -> Client:
    return Client(config.app_id, config.app_secret, endpoint_prefix=url,
                  access_token=token if token is not None else _access_token(url, config))


def _bot(url: str, token: str) -> Bot:
    return Bot(token, base_url=url)


@pytest.fixture
def oa_client(zalo):
    return _oa(zalo.url, zalo.config)


@pytest.fixture
def bot_client(zalo):
    return _bot(zalo.url, zalo.config.bot_token)


# -- zalo-sdk 0.3.0: the OA Open API ---------------------------------------------------------
def test_zalo_sdk_sends_a_text_message(zalo, oa_client):
    _add_user(zalo.url, USER)
    answer = oa_client.send_message(ZaloRecipient(user_id=USER), ZaloMessageBody(text="Đã nhận báo cáo"))
    assert answer["error"] == 0
    data = answer["data"]
    assert data["user_id"] == USER and data["message_id"] and data["sent_time"].isdigit()
    [sent] = _sent(zalo.url, channel="oa")
    assert sent["user_id"] == USER and sent["text"] == "Đã nhận báo cáo"
    assert sent["message_id"] == data["message_id"] and sent["path"] == "/v3.0/oa/message/cs"


def test_zalo_sdk_user_detail(zalo, oa_client):
    _add_user(zalo.url, USER, display_name="Chị Lan")
    data = oa_client.get_user_detail(USER)["data"]
    assert data["user_id"] == USER and data["display_name"] == "Chị Lan"
    # the interaction is now ("last_interaction": "now"): today, as Zalo writes it, in Vietnam
    today = datetime.now(timezone(timedelta(hours=7))).strftime("%d/%m/%Y")
    assert data["user_is_follower"] is True and data["user_last_interaction_date"] == today
    with pytest.raises(zalo_sdk.ZaloOAException) as unknown:
        oa_client.get_user_detail("999")
    assert unknown.value._code == -201
    assert _requests(zalo.url)["/v3.0/oa/user/detail"] == 2


def test_zalo_sdk_user_list(zalo, oa_client):
    for n in range(3):
        _add_user(zalo.url, f"10{n}")
    _add_user(zalo.url, "200", follower=False)
    first = oa_client.get_list({"offset": 0, "count": 2, "is_follower": True})["data"]
    assert first["total"] == 3 and first["count"] == 2
    assert [u["user_id"] for u in first["users"]] == ["100", "101"]
    rest = oa_client.get_list({"offset": 2, "count": 2, "is_follower": True})["data"]
    assert [u["user_id"] for u in rest["users"]] == ["102"]
    with pytest.raises(zalo_sdk.ZaloOAException) as too_many:
        oa_client.get_list({"offset": 0, "count": 51})
    assert too_many.value._code == -201


def test_zalo_sdk_user_quota(zalo, oa_client):
    _add_user(zalo.url, USER)
    data = oa_client.get_zalo_user_quotas(USER)["data"]
    assert data["user_id"] == USER and data["in_window"] is True and data["free"] is True
    assert data["cs_reply"] == {"remain": "8", "total": "8"}
    requests.post(f"{zalo.url}/__fake/advance_clock", json={"seconds": 8 * 86400}, timeout=10)
    oa_client = _oa(zalo.url, zalo.config)  # the 25 h token died with the clock
    late = oa_client.get_zalo_user_quotas(USER)["data"]
    assert late["in_window"] is False and late["cs_reply"]["remain"] == "0"


def test_zalo_sdk_uploads_an_image_and_sends_it(zalo, oa_client):
    _add_user(zalo.url, USER)
    attachment_id = oa_client.upload_file(PNG, file_type="image", file_name="bc.png",
                                   mime_type="image/png")["data"]["attachment_id"]
    assert attachment_id
    with pytest.raises(zalo_sdk.ZaloOAException) as not_image:
        oa_client.upload_file(b"GIF89a", file_type="image", file_name="x.gif", mime_type="image/gif")
    assert not_image.value._code == -210
    media = ZaloAttachment("template", {"template_type": "media", "elements": [
        {"media_type": "image", "attachment_id": attachment_id}]})
    answer = oa_client.send_message(ZaloRecipient(user_id=USER),
                             ZaloMessageBody(text="Ảnh", attachment=media))
    [sent] = _sent(zalo.url, channel="oa")
    assert sent["attachment_id"] == attachment_id
    assert sent["message_id"] == answer["data"]["message_id"]


def test_zalo_sdk_bad_access_token_is_error_216(zalo):
    _add_user(zalo.url, USER)
    bad = _oa(zalo.url, zalo.config, token="not-a-token")
    with pytest.raises(zalo_sdk.ZaloOAException) as error:
        bad.send_message(ZaloRecipient(user_id=USER), ZaloMessageBody(text="x"))
    assert error.value._code == -216
    assert not isinstance(error.value, zalo_sdk.ZaloOAAuthTokenExpiredException)
    with pytest.raises(zalo_sdk.ZaloOAException) as detail:
        bad.get_user_detail(USER)
    assert detail.value._code == -216
    assert _sent(zalo.url) == []


# -- python-zalo-bot 0.1.9: the Bot API -------------------------------------------------------
def test_python_zalo_bot_get_me(zalo, bot_client):
    me = asyncio.run(bot_client.get_me())
    assert me.id == zalo.config.bot_token.split(":", 1)[0]
    assert me.account_type == "BASIC" and me.can_join_groups is False
    assert me.account_name.startswith("Bot")
    assert _requests(zalo.url)["/bot<token>/getMe"] == 1


def test_python_zalo_bot_send_message(zalo, bot_client):
    before = time.time()
    message = asyncio.run(bot_client.send_message("chat-1", "Xin chào Chi hội"))
    assert isinstance(message, Message)
    assert message.text == "Xin chào Chi hội" and message.message_type == "CHAT_MESSAGE"
    assert message.chat.id == "chat-1" and message.chat.type == "PRIVATE"
    assert message.from_user.is_bot is True
    assert abs(message.date.timestamp() - before) < 60
    [sent] = _sent(zalo.url, channel="bot")
    assert sent["chat_id"] == "chat-1" and sent["text"] == "Xin chào Chi hội"
    assert sent["message_id"] == message.message_id


def test_python_zalo_bot_send_photo(zalo, bot_client):
    message = asyncio.run(bot_client.send_photo("chat-2", "Ảnh hiến máu", "https://x.test/a.jpg"))
    assert message.photo_url == "https://x.test/a.jpg"
    assert message.message_type == "CHAT_PHOTO" and message.chat.id == "chat-2"
    assert message.api_kwargs["caption"] == "Ảnh hiến máu"
    [sent] = _sent(zalo.url, channel="bot")
    assert sent["photo"] == "https://x.test/a.jpg" and sent["text"] == "Ảnh hiến máu"
    assert sent["path"] == "/bot<token>/sendPhoto" and sent["message_id"] == message.message_id


def test_python_zalo_bot_webhook_methods(zalo, bot_client):
    assert bot_client.get_webhook_info().url == ""
    before_ms = int(time.time() * 1000)
    assert bot_client.set_webhook("https://bot_client.example.test/hook", "secret-token-1") is True
    after_ms = int(time.time() * 1000) + 1
    info = bot_client.get_webhook_info()
    assert info.url == "https://bot_client.example.test/hook" and before_ms <= info.updated_at <= after_ms
    assert bot_client.set_webhook("http://bot_client.example.test/hook", "secret-token-1") is False  # HTTPS
    assert bot_client.set_webhook("https://bot_client.example.test/hook", "short") is False  # 8-256 chars
    assert bot_client.get_webhook_info().url == "https://bot_client.example.test/hook"
    assert bot_client.delete_webhook() is True
    assert bot_client.get_webhook_info().url == ""
    counts = _requests(zalo.url)
    assert counts["/bot<token>/setWebhook"] == 3 and counts["/bot<token>/deleteWebhook"] == 1


def test_python_zalo_bot_bad_token_is_invalid_token(zalo):
    wrong = _bot(zalo.url, "123:wrong")
    with pytest.raises(InvalidToken):
        asyncio.run(wrong.get_me())
    with pytest.raises(InvalidToken):
        asyncio.run(wrong.send_message("chat-1", "x"))
    assert _sent(zalo.url) == []


# -- the same clients against `flask --app app zalo-simulator` --------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_up(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"zalo-simulator exited with {proc.returncode}")
        try:
            if requests.get(f"{url}/__fake/clock", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError("zalo-simulator did not answer in time")


def test_clients_against_the_cli_simulator(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "zalo-simulator", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_up(url, proc)
        config = SimulatorConfig()  # the CLI's defaults
        _add_user(url, USER)
        answer = _oa(url, config).send_message(ZaloRecipient(user_id=USER),
                                               ZaloMessageBody(text="qua CLI"))
        bot = _bot(url, config.bot_token)
        me = asyncio.run(bot.get_me())
        message = asyncio.run(bot.send_message("chat-9", "qua CLI"))
        assert me.id == config.bot_token.split(":", 1)[0]
        assert message.chat.id == "chat-9" and message.text == "qua CLI"
        sent = _sent(url)
        assert [(m["channel"], m["recipient"], m["text"]) for m in sent] == [
            ("oa", USER, "qua CLI"), ("bot", "chat-9", "qua CLI")]
        assert sent[0]["message_id"] == answer["data"]["message_id"]
        assert sent[1]["message_id"] == message.message_id
    finally:
        proc.terminate()
        proc.wait(timeout=10)
