"""One way to send a text, whichever channel the person is on (OA or Zalo Bot)."""

from __future__ import annotations

import os

import redis

from bot.config import Settings
from bot.zalo.botapi import BotClient
from bot.zalo.client import OAClient
from bot.zalo.oauth import TokenManager


class Sender:
    """``send(channel, recipient, text, quote_id) -> message_id`` over the right client."""

    def __init__(self, settings: Settings, conn: redis.Redis):
        self.settings = settings
        self.tokens = TokenManager(settings, conn, settings.database_url)
        self.oa = OAClient(settings, self.tokens)
        self.bot = BotClient(settings) if settings.zalo_bot_token else None

    def send(self, channel: str, recipient: str, text: str, quote_id: str | None = None) -> str:
        if channel == "bot":
            if self.bot is None:
                raise RuntimeError("a Zalo Bot message but no ZALO_BOT_TOKEN is set")
            return self.bot.send_message(recipient, text)
        if channel == "group":
            return self.oa.send_group_text(recipient, text)
        return self.oa.send_text(recipient, text, quote_message_id=quote_id)


_senders: dict[tuple[int, Settings], Sender] = {}


def sender_for(settings: Settings, conn: redis.Redis) -> Sender:
    """One Sender (one requests.Session) per process and settings."""
    key = (os.getpid(), settings)
    if key not in _senders:
        _senders[key] = Sender(settings, conn)
    return _senders[key]
