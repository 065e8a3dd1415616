"""Questions the bot asked and is waiting for (which chapter? record again?), kept in Redis.

The state lives in Redis with a time limit, so it survives worker restarts and any worker can
pick up the answer. Handlers call ``ask``; the router calls ``resume`` before anything else.
"""

from __future__ import annotations

import json

from bot.conversation.context import Ctx
from bot.web.events import Message

TTL = 30 * 60
_resumers: dict[str, callable] = {}


def _key(ctx: Ctx, sender_id: str) -> str:
    return f"chb:ask:{ctx.channel}:{sender_id}"


def resumer(kind: str):
    """Register ``func(message, ctx, state) -> Reply | None`` for answers to a ``kind`` question."""

    def decorate(func):
        _resumers[kind] = func
        return func

    return decorate


def ask(ctx: Ctx, sender_id: str, kind: str, state: dict) -> None:
    ctx.redis.set(_key(ctx, sender_id), json.dumps({"kind": kind, "state": state}), ex=TTL)


def clear(ctx: Ctx, sender_id: str) -> None:
    ctx.redis.delete(_key(ctx, sender_id))


def peek(ctx: Ctx, sender_id: str) -> dict | None:
    raw = ctx.redis.get(_key(ctx, sender_id))
    return json.loads(raw) if raw else None


def resume(message: Message, ctx: Ctx):
    """The answer to a pending question, or None when the message is not one (it then routes as usual)."""
    pending = peek(ctx, message.sender_id)
    if pending is None or pending["kind"] not in _resumers:
        return None
    return _resumers[pending["kind"]](message, ctx, pending["state"])
